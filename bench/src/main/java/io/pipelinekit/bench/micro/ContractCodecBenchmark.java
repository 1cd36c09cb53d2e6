package io.pipelinekit.bench.micro;

import io.pipelinekit.schemas.payments.PaymentTransaction;
import io.pipelinekit.testkit.data.TransactionGenerator;

import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;

import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The payment contract on its hot paths: Avro binary encoding and decoding (the Kafka wire format's
 * payload) and Flink's AvroSerializer (network exchange between tasks and state).
 */
@State(Scope.Thread)
public class ContractCodecBenchmark {

    private List<PaymentTransaction> payments;
    private byte[][] encoded;
    private int next;
    private final SpecificDatumWriter<PaymentTransaction> writer =
            new SpecificDatumWriter<>(PaymentTransaction.class);
    private final SpecificDatumReader<PaymentTransaction> reader =
            new SpecificDatumReader<>(PaymentTransaction.class);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
    private BinaryEncoder encoder;
    private BinaryDecoder decoder;
    private final AvroSerializer<PaymentTransaction> flinkSerializer =
            new AvroSerializer<>(PaymentTransaction.class);
    private final DataOutputSerializer flinkOut = new DataOutputSerializer(512);
    private final DataInputDeserializer flinkIn = new DataInputDeserializer();

    @Setup
    public void setUp() throws IOException {
        payments =
                TransactionGenerator.builder()
                        .seed(7)
                        .cards(200)
                        .transactions(1024)
                        .build()
                        .generate();
        encoded = new byte[payments.size()][];
        for (int i = 0; i < payments.size(); i++) {
            bytes.reset();
            encoder = EncoderFactory.get().binaryEncoder(bytes, encoder);
            writer.write(payments.get(i), encoder);
            encoder.flush();
            encoded[i] = bytes.toByteArray();
        }
    }

    private int nextIndex() {
        next = (next + 1) % payments.size();
        return next;
    }

    @Benchmark
    public byte[] avroEncode() throws IOException {
        bytes.reset();
        encoder = EncoderFactory.get().binaryEncoder(bytes, encoder);
        writer.write(payments.get(nextIndex()), encoder);
        encoder.flush();
        return bytes.toByteArray();
    }

    @Benchmark
    public PaymentTransaction avroDecode() throws IOException {
        decoder = DecoderFactory.get().binaryDecoder(encoded[nextIndex()], decoder);
        return reader.read(null, decoder);
    }

    @Benchmark
    public PaymentTransaction flinkAvroSerializerRoundTrip() throws IOException {
        flinkOut.clear();
        flinkSerializer.serialize(payments.get(nextIndex()), flinkOut);
        flinkIn.setBuffer(flinkOut.getSharedBuffer(), 0, flinkOut.length());
        return flinkSerializer.deserialize(flinkIn);
    }

    @Benchmark
    public PaymentTransaction flinkAvroSerializerCopy() {
        return flinkSerializer.copy(payments.get(nextIndex()));
    }
}
