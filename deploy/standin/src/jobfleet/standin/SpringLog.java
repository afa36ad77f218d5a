package jobfleet.standin;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;

/**
 * Writes log lines in Spring Boot's default console pattern to
 * {@code <job.log.dir>/<service>/<file>} ({@link #fileName}); ERROR lines (with their continuation lines)
 * also go to {@code error.log}, as bk-job's logback configuration does. Every line is
 * written straight through, so a process that halts right after logging loses nothing.
 */
final class SpringLog {
    private final FileOutputStream main;
    private final FileOutputStream errors;
    private final String pid;
    final File dir;

    SpringLog(File logRoot, String service, boolean bkJobLayout) throws IOException {
        dir = new File(logRoot, service);
        if (!dir.isDirectory() && !dir.mkdirs() && !dir.isDirectory()) {
            throw new IOException("cannot create log directory " + dir);
        }
        main = new FileOutputStream(new File(dir, fileName(service, bkJobLayout)), true);
        errors = new FileOutputStream(new File(dir, "error.log"), true);
        pid = Long.toString(ProcessHandle.current().pid());
    }

    /**
     * The main log's name. In bk-job's layout each service's logback configuration names it
     * after the service's short name ({@code job-manage} writes {@code manage.log},
     * {@code job-file-worker} {@code worker.log}, {@code job-assemble} {@code job.log});
     * the project's own layout uses the whole service name.
     */
    static String fileName(String service, boolean bkJobLayout) {
        if (!bkJobLayout) return service + ".log";
        if (service.equals("job-assemble")) return "job.log";
        String name = service.startsWith("job-") ? service.substring(4) : service;
        if (name.startsWith("file-")) name = name.substring(5);
        return name + ".log";
    }

    void info(String logger, String message) {
        write(" INFO", logger, message, null);
    }

    void warn(String logger, String message) {
        write(" WARN", logger, message, null);
    }

    void error(String logger, String message) {
        write("ERROR", logger, message, null);
    }

    /** An ERROR line followed by exception-style continuation lines (stack trace shape). */
    void error(String logger, String message, String[] detail) {
        write("ERROR", logger, message, detail);
    }

    private synchronized void write(String level, String logger, String message, String[] detail) {
        StringBuilder line = new StringBuilder(160);
        line.append(timestamp()).append(' ').append(level).append(' ').append(pid).append(" --- [")
                .append(Thread.currentThread().getName()).append("] ").append(logger).append(" : ")
                .append(message).append('\n');
        if (detail != null) {
            for (String d : detail) line.append(d).append('\n');
        }
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        try {
            main.write(bytes);
            if (level.equals("ERROR")) errors.write(bytes);
        } catch (IOException e) {
            // The log is the only channel; a full disk must not take the service down with it.
        }
    }

    private static String timestamp() {
        LocalDateTime t = LocalDateTime.now();
        StringBuilder b = new StringBuilder(23);
        b.append(t.getYear()).append('-');
        pad(b, t.getMonthValue(), 2).append('-');
        pad(b, t.getDayOfMonth(), 2).append(' ');
        pad(b, t.getHour(), 2).append(':');
        pad(b, t.getMinute(), 2).append(':');
        pad(b, t.getSecond(), 2).append('.');
        pad(b, t.getNano() / 1_000_000, 3);
        return b.toString();
    }

    private static StringBuilder pad(StringBuilder b, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) b.append('0');
        return b.append(s);
    }
}
