package io.pipelinekit.core.sink.postgres;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Connection options of a {@link PostgresUpsertSink} built from a job's configuration. */
@PublicEvolving
public final class PostgresSinkOptions {

    public static final ConfigOption<String> URL =
            ConfigOptions.key("sink.postgres.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JDBC URL of the target database, jdbc:postgresql://host:port/database"
                                    + " (plus driver parameters, e.g. sslmode=verify-full).");

    public static final ConfigOption<String> USERNAME =
            ConfigOptions.key("sink.postgres.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("User the sink connects as.");

    public static final ConfigOption<String> PASSWORD =
            ConfigOptions.key("sink.postgres.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Password of sink.postgres.username (a secret: give it as"
                                    + " file:/path or through the environment).");

    private PostgresSinkOptions() {}
}
