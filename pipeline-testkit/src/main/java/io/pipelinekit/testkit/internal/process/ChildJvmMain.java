package io.pipelinekit.testkit.internal.process;

import org.apache.flink.annotation.Internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Entry point of every child JVM the test kit starts: runs the real main class and exits when the
 * parent JVM goes away.
 *
 * <p>The parent keeps the child's standard input open for as long as it lives. When the parent
 * exits for any reason (including {@code kill -9} or a surefire fork timeout) the operating system
 * closes that pipe, this watchdog reads end-of-file and the child shuts down, so a crashed test run
 * never leaves a broker, S3 server or PostgreSQL behind. Deliberately depends on the JDK only: it
 * runs on the server's classpath, not the test kit's.
 */
@Internal
public final class ChildJvmMain {

    /** Time the child's own shutdown hooks get before the JVM is halted. */
    static final long SHUTDOWN_GRACE_SECONDS = 20;

    private ChildJvmMain() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            throw new IllegalArgumentException(
                    "usage: ChildJvmMain <main class> [args...]: the test kit starts this class,"
                            + " not users");
        }
        ignoreInterrupts();
        Thread watchdog =
                new Thread(ChildJvmMain::exitWhenParentGone, "pipelinekit-parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        Class<?> mainClass = Class.forName(args[0]);
        Method main = mainClass.getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    }

    /**
     * Ctrl-C in a terminal interrupts the whole process group, children included: the parent
     * decides when its services stop (it may still need them to shut down cleanly), so they ignore
     * SIGINT and stop when closed or when the parent is gone.
     */
    private static void ignoreInterrupts() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> {});
        } catch (IllegalArgumentException | UnsupportedOperationException unsupported) {
            // No SIGINT on this platform.
        }
    }

    private static void exitWhenParentGone() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // The parent never writes; anything read is ignored until end-of-file.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end-of-file: the parent is gone.
        }
        Thread halter =
                new Thread(
                        () -> {
                            try {
                                TimeUnit.SECONDS.sleep(SHUTDOWN_GRACE_SECONDS);
                            } catch (InterruptedException ignored) {
                                Thread.currentThread().interrupt();
                            }
                            Runtime.getRuntime().halt(3);
                        },
                        "pipelinekit-halter");
        halter.setDaemon(true);
        halter.start();
        System.exit(0);
    }
}
