package io.pipelinekit.bench.jobs;

import io.pipelinekit.core.formats.avro.ConfluentAvro;
import io.pipelinekit.core.registry.SchemaRegistryOptions;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.AvroRowDataDeserializationSchema;
import org.apache.flink.formats.avro.AvroToRowDataConverters;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

import org.apache.avro.Schema;

import java.util.Set;

/**
 * The SQL format {@code pipelinekit-avro-confluent}: Flink's {@code avro-confluent} decoding (the
 * format a Flink SQL user would pick for these topics) on this library's registry client, because
 * Flink's own format needs Confluent's client, which is not on Maven Central.
 *
 * <pre>{@code
 * 'format' = 'pipelinekit-avro-confluent',
 * 'pipelinekit-avro-confluent.url' = 'http://registry:8081',
 * 'pipelinekit-avro-confluent.schema' = '<reader schema JSON>'   -- optional
 * }</pre>
 */
public final class ConfluentAvroFormatFactory implements DeserializationFormatFactory {

    public static final String IDENTIFIER = "pipelinekit-avro-confluent";

    static final ConfigOption<String> URL =
            ConfigOptions.key("url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Schema registry URL.");

    static final ConfigOption<String> SCHEMA =
            ConfigOptions.key("schema")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Reader schema (JSON); by default derived from the table's columns."
                                    + " Columns map to its fields by position.");

    @Override
    public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
            DynamicTableFactory.Context context, ReadableConfig formatOptions) {
        FactoryUtil.validateFactoryOptions(this, formatOptions);
        String url = formatOptions.get(URL);
        String schema = formatOptions.getOptional(SCHEMA).orElse(null);
        return new DecodingFormat<>() {
            @Override
            public DeserializationSchema<RowData> createRuntimeDecoder(
                    DynamicTableSource.Context sourceContext, DataType physicalDataType) {
                RowType rowType = (RowType) physicalDataType.getLogicalType();
                TypeInformation<RowData> producedType =
                        sourceContext.createTypeInformation(physicalDataType);
                Schema reader =
                        schema == null
                                ? AvroSchemaConverter.convertToSchema(rowType)
                                : new Schema.Parser().parse(schema);
                Configuration registry = new Configuration();
                registry.set(SchemaRegistryOptions.URL, url);
                return new AvroRowDataDeserializationSchema(
                        ConfluentAvro.genericDeserializer(reader, registry),
                        AvroToRowDataConverters.createRowConverter(rowType),
                        producedType);
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(URL);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(SCHEMA);
    }
}
