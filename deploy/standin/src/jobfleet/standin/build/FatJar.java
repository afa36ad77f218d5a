package jobfleet.standin.build;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The nested libraries of a Spring-Boot-shaped stand-in jar ({@code BOOT-INF/lib/}), made from
 * the Java libraries installed under a directory such as {@code /usr/share/java}:
 *
 * <ul>
 *   <li>a <b>core</b> every service has, about three quarters of the target size: the
 *       installed jars byte for byte, in name order (more than are installed: "shaded" copies,
 *       see below);
 *   <li>a <b>per-service</b> set filling the rest: shaded copies of installed jars, salted with
 *       the service's name, so no two services share them;
 *   <li>the application's own module, {@code job-X-service.jar}, small and new in every
 *       generation.
 * </ul>
 *
 * <p>Generation 1 (the build's {@code --next}) upgrades three core libraries (each becomes a
 * different jar under a new name) and the application's module; every other library keeps its
 * bytes. A shaded copy renames the packages {@code org/} and {@code com/} inside class files to
 * salted four-letter prefixes and deflates every entry again, so its bytes share nothing with
 * the original, like a library built anew. Same directory contents and arguments, same bytes
 * (deflate by the JDK's zlib, fixed times, entries in the original's order).
 */
final class FatJar {
    /** One nested library: its file name under BOOT-INF/lib/ and its bytes. */
    static final class Library {
        final String name;
        final byte[] data;

        Library(String name, byte[] data) {
            this.name = name;
            this.data = data;
        }
    }

    /** Positions in the core list of the libraries generation 1 upgrades. */
    private static final int[] UPGRADED = {3, 11, 19};
    private static final long FIXED_TIME = 1767225600000L;

    private FatJar() {}

    /** The installed jars the libraries come from: regular files (not links), 16 KiB or more, by name. */
    static List<File> pool(File dir) throws IOException {
        File[] files = dir.listFiles();
        if (files == null) throw new IOException("cannot list " + dir + " (install the Java libraries: scripts/bootstrap)");
        List<File> out = new ArrayList<File>();
        for (File f : files) {
            if (!f.getName().endsWith(".jar") || Files.isSymbolicLink(f.toPath()) || !f.isFile()) continue;
            if (f.length() < 16 * 1024) continue;
            out.add(f);
        }
        out.sort((a, b) -> a.getName().compareTo(b.getName()));
        if (out.size() < 24) {
            throw new IOException("only " + out.size() + " Java libraries under " + dir
                    + "; run scripts/bootstrap, which installs the ones the fat stand-in jars are made of");
        }
        return out;
    }

    /** What the pool is, for the jar's build stamp: names and sizes, hashed. */
    static String fingerprint(List<File> pool) {
        StringBuilder s = new StringBuilder();
        for (File f : pool) s.append(f.getName()).append(' ').append(f.length()).append('\n');
        return hex(sha256(s.toString().getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    /** The libraries of `service`'s jar, about `targetBytes` in all. */
    static List<Library> libraries(List<File> pool, String service, long targetBytes, int generation) throws IOException {
        List<Library> out = new ArrayList<Library>();
        long coreTarget = targetBytes * 3 / 4;
        long total = 0;
        int index = 0;
        for (int round = 0; total < coreTarget; round++) {
            for (int i = 0; i < pool.size() && total < coreTarget; i++, index++) {
                File f = pool.get(i);
                String base = f.getName().substring(0, f.getName().length() - 4);
                Library lib;
                boolean upgraded = generation > 0 && Arrays.binarySearch(UPGRADED, index) >= 0;
                if (upgraded) {
                    lib = new Library(base + (round > 0 ? "-r" + round : "") + "-upgraded-" + generation + ".jar",
                            shade(f, "upgrade/" + index + "/" + generation));
                } else if (round == 0) {
                    lib = new Library(f.getName(), Files.readAllBytes(f.toPath()));
                } else {
                    lib = new Library(base + "-r" + round + ".jar", shade(f, "core/" + round));
                }
                out.add(lib);
                total += lib.data.length;
            }
        }
        // The service's own libraries: start at a place of the pool that depends on the service.
        int start = Math.floorMod(Arrays.hashCode(sha256(service.getBytes(StandardCharsets.UTF_8))), pool.size());
        for (int k = 0; total < targetBytes; k++) {
            File f = pool.get((start + k) % pool.size());
            String base = f.getName().substring(0, f.getName().length() - 4);
            Library lib = new Library(service + "-" + base + "-" + k + ".jar", shade(f, service + "/" + k));
            out.add(lib);
            total += lib.data.length;
        }
        // The application's own module: new bytes in every generation.
        File module = pool.get(0);
        for (File f : pool) {
            if (f.length() >= 96 * 1024 && f.length() <= 512 * 1024) {
                module = f;
                break;
            }
        }
        out.add(new Library(service + "-service.jar", shade(module, service + "/application/" + generation)));
        return out;
    }

    /** A copy of `jar` whose class files name other packages, every entry deflated again. */
    static byte[] shade(File jar, String salt) throws IOException {
        byte[] d = sha256(salt.getBytes(StandardCharsets.UTF_8));
        byte[] org = prefix(d, 0);
        byte[] com = prefix(d, 3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) jar.length() + 4096);
        try (ZipFile in = new ZipFile(jar); ZipOutputStream out = new ZipOutputStream(bytes)) {
            out.setLevel(6);
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(FIXED_TIME);
                out.putNextEntry(copy);
                if (!e.isDirectory()) {
                    byte[] data;
                    try (InputStream is = in.getInputStream(e)) {
                        data = is.readAllBytes();
                    }
                    if (e.getName().endsWith(".class")) {
                        replace(data, "org/".getBytes(StandardCharsets.US_ASCII), org);
                        replace(data, "com/".getBytes(StandardCharsets.US_ASCII), com);
                    }
                    out.write(data);
                }
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Three lowercase letters and a slash from the digest. */
    private static byte[] prefix(byte[] digest, int at) {
        byte[] p = new byte[4];
        for (int i = 0; i < 3; i++) p[i] = (byte) ('a' + Math.floorMod(digest[at + i], 26));
        p[3] = '/';
        return p;
    }

    private static void replace(byte[] data, byte[] from, byte[] to) {
        outer:
        for (int i = 0; i + from.length <= data.length; i++) {
            for (int j = 0; j < from.length; j++) if (data[i + j] != from[j]) continue outer;
            System.arraycopy(to, 0, data, i, to.length);
            i += from.length - 1;
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] data) {
        StringBuilder s = new StringBuilder();
        for (byte b : data) s.append(String.format("%02x", b & 0xff));
        return s.toString();
    }
}
