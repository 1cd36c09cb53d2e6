package io.pipelinekit.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A JDK Flight Recording of a running JVM (started and stopped with {@code jcmd}) and a summary of
 * where its CPU samples fall: the hottest methods (self time) and the share per component.
 */
final class JfrProfile {

    private static final Map<String, String> COMPONENTS = new LinkedHashMap<>();

    static {
        COMPONENTS.put("org.rocksdb.", "RocksDB (JNI)");
        COMPONENTS.put("org.apache.avro.", "Avro");
        COMPONENTS.put("org.apache.flink.formats.avro.", "Avro");
        COMPONENTS.put("org.apache.kafka.", "Kafka clients");
        COMPONENTS.put("org.apache.flink.connector.kafka.", "Kafka connector");
        COMPONENTS.put("org.apache.flink.kafka.shaded.", "Kafka connector");
        COMPONENTS.put("io.pipelinekit.", "Pipeline Kit");
        COMPONENTS.put("org.apache.flink.table.", "Flink SQL runtime");
        COMPONENTS.put("org.apache.flink.runtime.state.", "Flink state");
        COMPONENTS.put("org.apache.flink.contrib.streaming.state.", "Flink state");
        COMPONENTS.put("org.apache.flink.runtime.io.network.", "Flink network");
        COMPONENTS.put("org.apache.flink.shaded.netty4.", "Flink network");
        COMPONENTS.put("org.apache.flink.api.common.typeutils.", "Flink serializers");
        COMPONENTS.put("org.apache.flink.api.java.typeutils.", "Flink serializers");
        COMPONENTS.put("org.apache.flink.", "Flink runtime (other)");
        COMPONENTS.put("java.", "JDK");
        COMPONENTS.put("jdk.", "JDK");
        COMPONENTS.put("sun.", "JDK");
    }

    private JfrProfile() {}

    static void start(long pid, Path file) throws IOException, InterruptedException {
        jcmd(pid, "JFR.start", "name=bench", "settings=profile", "filename=" + file);
    }

    static void stop(long pid) throws IOException, InterruptedException {
        jcmd(pid, "JFR.stop", "name=bench");
    }

    private static void jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> args = new java.util.ArrayList<>();
        args.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        args.add(Long.toString(pid));
        args.addAll(List.of(command));
        Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("jcmd " + String.join(" ", command) + " failed: " + out);
        }
    }

    /** A Markdown summary: CPU samples by component and the hottest methods. */
    static String summarize(Path recording, int topMethods) throws IOException {
        Map<String, Integer> methods = new HashMap<>();
        Map<String, Integer> components = new HashMap<>();
        int total = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            total++;
            RecordedFrame top = stack.getFrames().get(0);
            String type = top.getMethod().getType().getName();
            methods.merge(type + "." + top.getMethod().getName(), 1, Integer::sum);
            components.merge(component(type), 1, Integer::sum);
        }
        StringBuilder out = new StringBuilder();
        out.append("| component (self time) | CPU samples |\n|---|---:|\n");
        int all = Math.max(total, 1);
        components.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(
                        e ->
                                out.append("| ")
                                        .append(e.getKey())
                                        .append(" | ")
                                        .append(percent(e.getValue(), all))
                                        .append(" |\n"));
        out.append("\n| hottest methods (self time) | CPU samples |\n|---|---:|\n");
        methods.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .limit(topMethods)
                .forEach(
                        e ->
                                out.append("| `")
                                        .append(e.getKey())
                                        .append("` | ")
                                        .append(percent(e.getValue(), all))
                                        .append(" |\n"));
        out.append("\n").append(total).append(" execution samples.\n");
        return out.toString();
    }

    static String component(String type) {
        for (Map.Entry<String, String> entry : COMPONENTS.entrySet()) {
            if (type.startsWith(entry.getKey())) {
                return entry.getValue();
            }
        }
        return "other";
    }

    private static String percent(int count, int total) {
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * count / total);
    }
}
