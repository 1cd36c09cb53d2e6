package io.pipelinekit.testkit.flink;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SequenceSourceTest {

    @Test
    void emitsEachNumberOfItsSplitsOnceThenIdlesWithoutFinishing() throws Exception {
        SequenceSource source = SequenceSource.upTo(10, 3);
        SourceReader<Long, SequenceSource.Split> reader = source.createReader(null);
        reader.addSplits(
                List.of(new SequenceSource.Split(0, 3, 0), new SequenceSource.Split(2, 3, 2)));
        ListOutput output = new ListOutput();

        List<InputStatus> statuses = drain(reader, output);

        assertThat(output.values).containsExactlyInAnyOrder(0L, 3L, 6L, 9L, 2L, 5L, 8L);
        assertThat(statuses).doesNotContain(InputStatus.END_OF_INPUT);
        assertThat(reader.isAvailable()).isNotDone();
    }

    @Test
    void restoredSplitsContinueWhereTheSnapshotWasAndAcceptALargerEnd() throws Exception {
        SourceReader<Long, SequenceSource.Split> first =
                SequenceSource.upTo(6, 2).createReader(null);
        first.addSplits(List.of(new SequenceSource.Split(1, 2, 1)));
        drain(first, new ListOutput());
        List<SequenceSource.Split> snapshot = first.snapshotState(1);

        SimpleVersionedSerializer<SequenceSource.Split> serializer =
                SequenceSource.upTo(6, 2).getSplitSerializer();
        List<SequenceSource.Split> restored = new ArrayList<>();
        for (SequenceSource.Split split : snapshot) {
            restored.add(
                    serializer.deserialize(serializer.getVersion(), serializer.serialize(split)));
        }

        SourceReader<Long, SequenceSource.Split> second =
                SequenceSource.upTo(10, 2).createReader(null);
        second.addSplits(restored);
        ListOutput output = new ListOutput();
        drain(second, output);

        assertThat(output.values).containsExactly(7L, 9L);
    }

    @Test
    void enumeratorStateRoundTrips() throws Exception {
        SimpleVersionedSerializer<List<SequenceSource.Split>> serializer =
                SequenceSource.upTo(10, 2).getEnumeratorCheckpointSerializer();
        List<SequenceSource.Split> splits =
                List.of(new SequenceSource.Split(0, 2, 4), new SequenceSource.Split(1, 2, 9));

        List<SequenceSource.Split> copy =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(splits));

        assertThat(copy)
                .extracting(SequenceSource.Split::toString)
                .containsExactly("sequence-0@4", "sequence-1@9");
    }

    @Test
    void restoringWithAnotherNumberOfSplitsFailsInsteadOfMixingNumbers() {
        SourceReader<Long, SequenceSource.Split> reader =
                SequenceSource.upTo(10, 3).createReader(null);

        assertThatThrownBy(() -> reader.addSplits(List.of(new SequenceSource.Split(1, 2, 5))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("restored with 3 splits from a checkpoint taken with 2");
    }

    private static List<InputStatus> drain(
            SourceReader<Long, SequenceSource.Split> reader, ListOutput output) throws Exception {
        List<InputStatus> statuses = new ArrayList<>();
        InputStatus status;
        do {
            status = reader.pollNext(output);
            statuses.add(status);
        } while (status == InputStatus.MORE_AVAILABLE);
        return statuses;
    }

    /** Collects emitted records; watermarks and idleness are not used by this source. */
    private static final class ListOutput implements ReaderOutput<Long> {
        final List<Long> values = new ArrayList<>();

        @Override
        public void collect(Long record) {
            values.add(record);
        }

        @Override
        public void collect(Long record, long timestamp) {
            values.add(record);
        }

        @Override
        public void emitWatermark(Watermark watermark) {}

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        @Override
        public SourceOutput<Long> createOutputForSplit(String splitId) {
            return this;
        }

        @Override
        public void releaseOutputForSplit(String splitId) {}
    }
}
