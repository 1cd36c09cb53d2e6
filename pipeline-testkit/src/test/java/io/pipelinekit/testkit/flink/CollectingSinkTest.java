package io.pipelinekit.testkit.flink;

import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CollectingSinkTest {

    @Test
    void collectsFromAllWritersAndWaitsForACount() throws Exception {
        CollectingSink<String> sink = CollectingSink.create();
        SinkWriter<String> writerA = sink.createWriter((WriterInitContext) null);
        SinkWriter<String> writerB = sink.createWriter((WriterInitContext) null);

        Thread producer =
                new Thread(
                        () -> {
                            try {
                                writerA.write("a", null);
                                writerB.write("b", null);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        producer.start();

        assertThat(sink.awaitCount(2, Duration.ofSeconds(10))).containsExactlyInAnyOrder("a", "b");
        producer.join();
        assertThat(sink.count()).isEqualTo(2);
        sink.clear();
    }

    @Test
    void timeoutSaysHowManyArrived() throws Exception {
        CollectingSink<String> sink = CollectingSink.create();
        sink.createWriter((WriterInitContext) null).write("only", null);

        assertThatThrownBy(() -> sink.awaitCount(3, Duration.ofMillis(50)))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("Expected 3 records")
                .hasMessageContaining("received 1");
    }

    @Test
    void clearedSinkFailsLoudly() {
        CollectingSink<String> sink = CollectingSink.create();
        sink.clear();
        assertThatThrownBy(sink::values)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("MiniCluster in the test's own JVM");
    }
}
