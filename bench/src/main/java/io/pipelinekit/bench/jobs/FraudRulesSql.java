package io.pipelinekit.bench.jobs;

import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.api.java.utils.ParameterTool;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

import java.time.Duration;

/**
 * The Flink SQL baseline: fraud-detection's velocity and amount-anomaly rules as a user would write
 * them in Flink SQL (OVER windows per card) over the same transactions topic, alerts to Kafka with
 * the same delivery guarantee, checkpoint interval and state backend as the job it is compared to.
 *
 * <p>Same thresholds as the benchmark's rule set: more than {@code velocity-max-transactions} or
 * more than {@code velocity-max-amount} in {@code velocity-window-seconds}; an amount above mean +
 * k standard deviations of the card's previous {@code amount-history} transactions once it has
 * {@code amount-min-history}. Differences: SQL's RANGE window includes its lower bound, and the
 * amount rule's previous transactions are taken in event-time order.
 */
public final class FraudRulesSql {

    private FraudRulesSql() {}

    public static void main(String[] args) {
        ParameterTool params = ParameterTool.fromArgs(args);
        Configuration conf = new Configuration();
        conf.set(
                CheckpointingOptions.CHECKPOINTING_INTERVAL,
                Duration.ofMillis(params.getLong("checkpoint-interval", 1000)));
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, params.getRequired("checkpoint-dir"));
        String backend = params.get("state-backend", "rocksdb");
        conf.set(StateBackendOptions.STATE_BACKEND, backend);
        if (backend.equals("rocksdb")) {
            conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setMaxParallelism(128);
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        for (String statement : statements(params)) {
            tables.executeSql(statement);
        }
        // One INSERT with UNION ALL, not two: two sinks with one transactional-id prefix would
        // fence each other's transactions.
        tables.executeSql(
                "INSERT INTO alerts\n"
                        + velocityAlerts(params)
                        + "\nUNION ALL\n"
                        + amountAlerts(params));
    }

    /** The DDL: the transactions topic in the contract's order, and the alerts topic. */
    static String[] statements(ParameterTool params) {
        String schema = PaymentTransaction.getClassSchema().toString().replace("'", "''");
        String exactlyOnce =
                params.get("guarantee", "EXACTLY_ONCE").equals("EXACTLY_ONCE")
                        ? ", 'sink.delivery-guarantee' = 'exactly-once',"
                                + " 'sink.transactional-id-prefix' = '"
                                + params.getRequired("transactional-id-prefix")
                                + "', 'properties.transaction.timeout.ms' = '900000'"
                        : ", 'sink.delivery-guarantee' = 'at-least-once'";
        return new String[] {
            "CREATE TABLE transactions (\n"
                    + "  transactionId STRING, cardId STRING, accountId STRING,"
                    + " amount DECIMAL(18, 4), currency STRING, merchantId STRING,"
                    + " merchantName STRING, mcc STRING,\n"
                    + "  location ROW<latitude DOUBLE, longitude DOUBLE, country STRING,"
                    + " city STRING>,\n"
                    + "  channel STRING, eventTime TIMESTAMP(3),\n"
                    + "  WATERMARK FOR eventTime AS eventTime - INTERVAL '"
                    + params.getLong("max-out-of-orderness-seconds", 10)
                    + "' SECOND\n"
                    + ") WITH (\n"
                    + "  'connector' = 'kafka', 'topic' = '"
                    + params.getRequired("input")
                    + "',\n  'properties.bootstrap.servers' = '"
                    + params.getRequired("bootstrap")
                    + "', 'properties.group.id' = '"
                    + params.getRequired("group")
                    + "',\n  'scan.startup.mode' = 'earliest-offset',\n"
                    + "  'format' = '"
                    + ConfluentAvroFormatFactory.IDENTIFIER
                    + "',\n  '"
                    + ConfluentAvroFormatFactory.IDENTIFIER
                    + ".url' = '"
                    + params.getRequired("registry")
                    + "',\n  '"
                    + ConfluentAvroFormatFactory.IDENTIFIER
                    + ".schema' = '"
                    + schema
                    + "')",
            "CREATE TABLE alerts (\n"
                    + "  transactionId STRING, cardId STRING, ruleId STRING,"
                    + " eventTime TIMESTAMP(3), detail STRING\n"
                    + ") WITH (\n"
                    + "  'connector' = 'kafka', 'topic' = '"
                    + params.getRequired("output")
                    + "',\n  'properties.bootstrap.servers' = '"
                    + params.getRequired("bootstrap")
                    + "', 'format' = 'json'"
                    + exactlyOnce
                    + ")"
        };
    }

    static String velocityAlerts(ParameterTool params) {
        return "SELECT transactionId, cardId, 'velocity', eventTime,\n"
                + "  CAST(cnt AS STRING) || ' transactions, ' || CAST(total AS STRING)\n"
                + "FROM (\n"
                + "  SELECT transactionId, cardId, eventTime,\n"
                + "    COUNT(*) OVER w AS cnt, SUM(amount) OVER w AS total\n"
                + "  FROM transactions\n"
                + "  WINDOW w AS (PARTITION BY cardId ORDER BY eventTime\n"
                + "    RANGE BETWEEN INTERVAL '"
                + params.getLong("velocity-window-seconds", 60)
                + "' SECOND PRECEDING AND CURRENT ROW))\n"
                + "WHERE cnt > "
                + params.getLong("velocity-max-transactions", 5)
                + " OR total > "
                + params.get("velocity-max-amount", "3000");
    }

    static String amountAlerts(ParameterTool params) {
        // OVER windows end at the current row: the previous rows' sums are the window's minus it.
        String amount = "CAST(amount AS DOUBLE)";
        return "SELECT transactionId, cardId, 'amount-anomaly', eventTime,\n"
                + "  'amount ' || CAST(amount AS STRING) || ' above the baseline of '"
                + " || CAST(n AS STRING)\n"
                + "FROM (\n"
                + "  SELECT transactionId, cardId, eventTime, amount,\n"
                + "    COUNT(*) OVER w - 1 AS n,\n"
                + "    SUM("
                + amount
                + ") OVER w - "
                + amount
                + " AS s,\n"
                + "    SUM("
                + amount
                + " * "
                + amount
                + ") OVER w - "
                + amount
                + " * "
                + amount
                + " AS ss\n"
                + "  FROM transactions\n"
                + "  WINDOW w AS (PARTITION BY cardId ORDER BY eventTime\n"
                + "    ROWS BETWEEN "
                + params.getInt("amount-history", 20)
                + " PRECEDING AND CURRENT ROW))\n"
                + "WHERE n >= "
                + params.getInt("amount-min-history", 5)
                + " AND "
                + amount
                + " > s / n + "
                + params.get("amount-deviations", "4.0")
                + " * SQRT(GREATEST(ss / n - (s / n) * (s / n), 0))";
    }
}
