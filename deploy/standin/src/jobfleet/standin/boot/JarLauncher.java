package jobfleet.standin.boot;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.jar.JarFile;

/**
 * The entry point of a Spring-Boot-shaped stand-in jar, as Spring Boot's JarLauncher is of a
 * real one: the application's classes sit under {@code BOOT-INF/classes/}, out of reach of
 * the JVM's own class path, so this class (at the jar's root, named by {@code Main-Class})
 * loads them from there and calls {@code Start-Class}. The nested libraries under
 * {@code BOOT-INF/lib/} are payload only: the stand-in needs none of them.
 */
public final class JarLauncher {
    private JarLauncher() {}

    public static void main(String[] args) throws Throwable {
        File jar = new File(JarLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String start;
        try (JarFile file = new JarFile(jar)) {
            start = file.getManifest().getMainAttributes().getValue("Start-Class");
        }
        if (start == null) {
            System.err.println("stand-in: " + jar + " names no Start-Class in its manifest; rebuild it with deploy/standin/build");
            Runtime.getRuntime().halt(2);
        }
        URL classes = new URL("jar:" + jar.toURI().toURL() + "!/BOOT-INF/classes/");
        ClassLoader loader = new URLClassLoader(new URL[] {classes}, JarLauncher.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(loader);
        Method main = Class.forName(start, true, loader).getMethod("main", String[].class);
        main.invoke(null, (Object) args);
    }
}
