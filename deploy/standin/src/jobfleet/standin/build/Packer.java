package jobfleet.standin.build;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Writes the stand-in jars of a release, one per service, byte for byte reproducibly: every
 * entry is STORED (no dependence on the zlib version), timestamps are fixed, entries are
 * sorted, and the padding is random bytes from a seed derived from service and version.
 * A jar whose embedded build stamp and size already match is left untouched, so re-running
 * the build is cheap and keeps file times.
 *
 * Usage: Packer CLASSES_DIR RELEASE_DIR VERSION PAD_MB SOURCE_HASH KNOBS SERVICE...
 * (KNOBS: "" or name=value pairs joined by '\n'). Prints "written|unchanged SERVICE BYTES".
 */
public final class Packer {
    /** Bump when the jar layout changes, so old jars are rewritten. */
    private static final String FORMAT = "1";
    /** 2026-01-01 00:00:00 in the packer's time zone (the build runs it with UTC). */
    private static final long FIXED_TIME = 1767225600000L;
    private static final String STAMP_ENTRY = "META-INF/jobfleet-standin.properties";
    private static final String PAD_ENTRY = "BOOT-INF/lib/standin-padding.bin";
    private static final String MAIN_CLASS = "jobfleet.standin.StandIn";
    private static final String LAUNCHER_CLASS = "jobfleet.standin.boot.JarLauncher";
    /** Fat (Spring-Boot-shaped) jars of about this many MiB; 0 for the plain layout. */
    private static final long FAT_MB = Long.getLong("standin.fat-mb", 0L);
    /** 0 for a release, 1 for the release after it (the build's --next). */
    private static final int GENERATION = Integer.getInteger("standin.generation", 0);
    private static final File LIB_DIR = new File(System.getProperty("standin.lib-dir", "/usr/share/java"));

    public static void main(String[] args) throws Exception {
        if (args.length < 7) {
            System.err.println("usage: Packer CLASSES RELEASE VERSION PAD_MB SOURCE_HASH KNOBS SERVICE...");
            System.exit(2);
        }
        File classes = new File(args[0]);
        File release = new File(args[1]);
        String version = args[2];
        long padBytes = Long.parseLong(args[3]) * 1024L * 1024L;
        String sourceHash = args[4];
        String knobs = args[5];
        List<Entry> common = classEntries(classes);
        List<File> pool = FAT_MB > 0 ? FatJar.pool(LIB_DIR) : null;
        int failures = 0;
        for (int i = 6; i < args.length; i++) {
            String service = args[i];
            try {
                System.out.println(pool != null
                        ? packFat(release, service, version, sourceHash, knobs, common, classes, pool)
                        : pack(release, service, version, padBytes, sourceHash, knobs, common));
            } catch (IOException e) {
                System.err.println("build: " + service + ": " + e.getMessage());
                failures++;
            }
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    /** A small in-memory entry. */
    private static final class Entry {
        final String name;
        final byte[] data;

        Entry(String name, byte[] data) {
            this.name = name;
            this.data = data;
        }
    }

    /** The service's classes: jobfleet/standin/*.class only (the packer itself stays out). */
    private static List<Entry> classEntries(File classes) throws IOException {
        File dir = new File(classes, "jobfleet/standin");
        String[] names = dir.list();
        if (names == null) throw new IOException("no compiled classes in " + dir);
        Arrays.sort(names);
        List<Entry> out = new ArrayList<Entry>();
        for (String n : names) {
            File f = new File(dir, n);
            if (f.isFile() && n.endsWith(".class")) out.add(new Entry("jobfleet/standin/" + n, Files.readAllBytes(f.toPath())));
        }
        if (out.isEmpty()) throw new IOException("no compiled classes in " + dir);
        return out;
    }

    private static String pack(File release, String service, String version, long padBytes, String sourceHash,
            String knobs, List<Entry> classes) throws IOException {
        File dir = new File(release, "backend/" + service);
        File jar = new File(dir, service + ".jar");
        String stamp = "format=" + FORMAT + " service=" + service + " version=" + version + " pad=" + padBytes
                + " sources=" + sourceHash + " knobs=" + knobs.replace('\n', ',');

        List<Entry> entries = new ArrayList<Entry>();
        entries.add(new Entry("META-INF/", new byte[0]));
        entries.add(new Entry("META-INF/MANIFEST.MF", manifest(service, version)));
        entries.add(new Entry(STAMP_ENTRY, utf8("# written by deploy/standin/build\nservice=" + service + "\nversion="
                + version + "\nstamp=" + stamp + "\n")));
        entries.addAll(classes);
        if (!knobs.isEmpty()) entries.add(new Entry("standin.properties", utf8(knobs + "\n")));

        long padding = 0;
        if (padBytes > 0) {
            // Headers do not depend on the data size (STORED, no zip64 below 4 GiB): measure once with
            // an empty padding entry, then the padding fills exactly up to the target size.
            CountingStream counter = new CountingStream();
            write(counter, entries, 0, 0, 0);
            padding = padBytes - counter.count;
            if (padding < 0) {
                throw new IOException("--pad-mb " + (padBytes >> 20) + " is smaller than the jar itself (" + counter.count
                        + " bytes)");
            }
        }
        long expected = padBytes > 0 ? padBytes : -1;

        if (jar.isFile() && stamp.equals(readStamp(jar)) && (expected < 0 || jar.length() == expected)) {
            return "unchanged " + service + " " + jar.length();
        }
        if (!dir.isDirectory() && !dir.mkdirs() && !dir.isDirectory()) throw new IOException("cannot create " + dir);
        long seed = seed(service, version);
        long crc = padding > 0 ? paddingCrc(seed, padding) : 0;
        File tmp = new File(dir, "." + service + ".jar.tmp-" + ProcessHandle.current().pid());
        try {
            FileOutputStream fos = new FileOutputStream(tmp);
            try {
                OutputStream out = new BufferedOutputStream(fos, 1 << 20);
                write(out, entries, padding, seed, crc);
                out.flush();
                fos.getFD().sync();
            } finally {
                fos.close();
            }
            if (expected >= 0 && tmp.length() != expected) {
                throw new IOException("wrote " + tmp.length() + " bytes, expected " + expected);
            }
            try {
                Files.move(tmp.toPath(), jar.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp.toPath(), jar.toPath(), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            tmp.delete();
        }
        return "written " + service + " " + jar.length();
    }

    /**
     * A Spring-Boot-shaped jar: the launcher at the root (Main-Class), the stand-in's classes and
     * knobs under BOOT-INF/classes/, nested libraries STORED under BOOT-INF/lib/.
     */
    private static String packFat(File release, String service, String version, String sourceHash, String knobs,
            List<Entry> classes, File classDir, List<File> pool) throws IOException {
        File dir = new File(release, "backend/" + service);
        File jar = new File(dir, service + ".jar");
        String stamp = "format=" + FORMAT + " fat-mb=" + FAT_MB + " generation=" + GENERATION + " libs="
                + FatJar.fingerprint(pool) + " service=" + service + " version=" + version + " sources=" + sourceHash
                + " knobs=" + knobs.replace('\n', ',');
        if (jar.isFile() && stamp.equals(readStamp(jar))) return "unchanged " + service + " " + jar.length();

        List<Entry> entries = new ArrayList<Entry>();
        entries.add(new Entry("META-INF/", new byte[0]));
        entries.add(new Entry("META-INF/MANIFEST.MF", fatManifest(service, version)));
        entries.add(new Entry(STAMP_ENTRY, utf8("# written by deploy/standin/build\nservice=" + service + "\nversion="
                + version + "\nstamp=" + stamp + "\n")));
        File launcher = new File(classDir, "jobfleet/standin/boot/JarLauncher.class");
        entries.add(new Entry("jobfleet/standin/boot/JarLauncher.class", Files.readAllBytes(launcher.toPath())));
        entries.add(new Entry("BOOT-INF/", new byte[0]));
        entries.add(new Entry("BOOT-INF/classes/", new byte[0]));
        for (Entry c : classes) entries.add(new Entry("BOOT-INF/classes/" + c.name, c.data));
        // The application's classes change with every release, as a rebuilt application's do.
        entries.add(new Entry("BOOT-INF/classes/META-INF/build-info.properties", utf8("build.artifact=" + service
                + "\nbuild.version=" + version + "\nbuild.generation=" + GENERATION + "\n")));
        if (!knobs.isEmpty()) entries.add(new Entry("BOOT-INF/classes/standin.properties", utf8(knobs + "\n")));
        entries.add(new Entry("BOOT-INF/lib/", new byte[0]));
        for (FatJar.Library lib : FatJar.libraries(pool, service, FAT_MB << 20, GENERATION)) {
            entries.add(new Entry("BOOT-INF/lib/" + lib.name, lib.data));
        }

        if (!dir.isDirectory() && !dir.mkdirs() && !dir.isDirectory()) throw new IOException("cannot create " + dir);
        File tmp = new File(dir, "." + service + ".jar.tmp-" + ProcessHandle.current().pid());
        try {
            FileOutputStream fos = new FileOutputStream(tmp);
            try {
                OutputStream out = new BufferedOutputStream(fos, 1 << 20);
                write(out, entries, 0, 0, 0);
                out.flush();
                fos.getFD().sync();
            } finally {
                fos.close();
            }
            Files.move(tmp.toPath(), jar.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            tmp.delete();
        }
        return "written " + service + " " + jar.length();
    }

    private static byte[] fatManifest(String service, String version) {
        return utf8("Manifest-Version: 1.0\r\n"
                + "Main-Class: " + LAUNCHER_CLASS + "\r\n"
                + "Start-Class: " + MAIN_CLASS + "\r\n"
                + "Spring-Boot-Classes: BOOT-INF/classes/\r\n"
                + "Spring-Boot-Lib: BOOT-INF/lib/\r\n"
                + "Created-By: JobFleet deploy/standin/build\r\n"
                + "Implementation-Title: " + service + "\r\n"
                + "Implementation-Version: " + version + "\r\n"
                + "JobFleet-Service: " + service + "\r\n"
                + "JobFleet-Release-Version: " + version + "\r\n"
                + "\r\n");
    }

    private static byte[] manifest(String service, String version) {
        // Kept short of the 72-byte manifest line limit; the build validates the version's shape.
        return utf8("Manifest-Version: 1.0\r\n"
                + "Main-Class: " + MAIN_CLASS + "\r\n"
                + "Created-By: JobFleet deploy/standin/build\r\n"
                + "Implementation-Title: " + service + "\r\n"
                + "Implementation-Version: " + version + "\r\n"
                + "JobFleet-Service: " + service + "\r\n"
                + "JobFleet-Release-Version: " + version + "\r\n"
                + "\r\n");
    }

    private static String readStamp(File jar) {
        try {
            ZipFile zip = new ZipFile(jar);
            try {
                ZipEntry e = zip.getEntry(STAMP_ENTRY);
                if (e == null) return null;
                InputStream in = zip.getInputStream(e);
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                in.close();
                for (String line : text.split("\n")) {
                    if (line.startsWith("stamp=")) return line.substring("stamp=".length());
                }
                return null;
            } finally {
                zip.close();
            }
        } catch (IOException e) {
            return null; // unreadable or truncated: rewrite it
        }
    }

    private static void write(OutputStream target, List<Entry> entries, long padding, long seed, long padCrc)
            throws IOException {
        ZipOutputStream zip = new ZipOutputStream(target);
        zip.setMethod(ZipOutputStream.STORED);
        for (Entry e : entries) {
            ZipEntry z = new ZipEntry(e.name);
            z.setMethod(ZipEntry.STORED);
            z.setTime(FIXED_TIME);
            z.setSize(e.data.length);
            z.setCompressedSize(e.data.length);
            CRC32 crc = new CRC32();
            crc.update(e.data);
            z.setCrc(crc.getValue());
            zip.putNextEntry(z);
            zip.write(e.data);
            zip.closeEntry();
        }
        if (padding > 0 || target instanceof CountingStream) {
            ZipEntry z = new ZipEntry(PAD_ENTRY);
            z.setMethod(ZipEntry.STORED);
            z.setTime(FIXED_TIME);
            z.setSize(padding);
            z.setCompressedSize(padding);
            z.setCrc(padding > 0 ? padCrc : 0);
            zip.putNextEntry(z);
            if (padding > 0) {
                SplittableRandom random = new SplittableRandom(seed);
                byte[] chunk = new byte[1 << 20];
                for (long left = padding; left > 0; ) {
                    int n = (int) Math.min(chunk.length, left);
                    fill(random, chunk, n);
                    zip.write(chunk, 0, n);
                    left -= n;
                }
            }
            zip.closeEntry();
        }
        zip.finish();
    }

    private static long paddingCrc(long seed, long padding) {
        SplittableRandom random = new SplittableRandom(seed);
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[1 << 20];
        for (long left = padding; left > 0; ) {
            int n = (int) Math.min(chunk.length, left);
            fill(random, chunk, n);
            crc.update(chunk, 0, n);
            left -= n;
        }
        return crc.getValue();
    }

    /** Fills whole 8-byte words first so the stream of bytes does not depend on chunking. */
    private static void fill(SplittableRandom random, byte[] chunk, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long v = random.nextLong();
            chunk[i] = (byte) v;
            chunk[i + 1] = (byte) (v >>> 8);
            chunk[i + 2] = (byte) (v >>> 16);
            chunk[i + 3] = (byte) (v >>> 24);
            chunk[i + 4] = (byte) (v >>> 32);
            chunk[i + 5] = (byte) (v >>> 40);
            chunk[i + 6] = (byte) (v >>> 48);
            chunk[i + 7] = (byte) (v >>> 56);
        }
        for (; i < n; i++) chunk[i] = (byte) random.nextInt(256);
    }

    private static long seed(String service, String version) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(utf8(service + "\n" + version));
            long s = 0;
            for (int i = 0; i < 8; i++) s = (s << 8) | (d[i] & 0xff);
            return s;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Counts bytes without keeping them, to size the padding. */
    private static final class CountingStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
