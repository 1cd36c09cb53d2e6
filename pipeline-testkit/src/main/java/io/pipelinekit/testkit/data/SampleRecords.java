package io.pipelinekit.testkit.data;

import io.pipelinekit.schemas.inventory.ChangeOperation;
import io.pipelinekit.schemas.inventory.InventoryChangeEvent;
import io.pipelinekit.schemas.inventory.StockLevel;
import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * Deterministic records of the project's contracts for tests: the same index always gives the same
 * record, so expected outputs can be computed.
 */
@PublicEvolving
public final class SampleRecords {

    /** Event time of {@code payment(0)}. */
    public static final Instant EPOCH = Instant.ofEpochMilli(1_700_000_000_000L);

    private SampleRecords() {}

    /**
     * Payment number {@code i}: id from {@code "tx-" + i}, 20 cards, 7 accounts, 5 merchants,
     * amount {@code 10.5 + i % 10} EUR, e-commerce, event time {@link #EPOCH} + {@code i} ms.
     */
    public static PaymentTransaction payment(int i) {
        return PaymentTransaction.newBuilder(
                        payment(
                                "m-" + (i % 5),
                                new BigDecimal("10.5").add(BigDecimal.valueOf(i % 10)),
                                EPOCH.plusMillis(i)))
                .setTransactionId(
                        UUID.nameUUIDFromBytes(("tx-" + i).getBytes(StandardCharsets.UTF_8)))
                .setCardId("card-" + (i % 20))
                .setAccountId("account-" + (i % 7))
                .build();
    }

    /** A payment at a merchant with an amount (EUR) and event time, random id, card-1. */
    public static PaymentTransaction payment(
            String merchantId, BigDecimal amount, Instant eventTime) {
        return PaymentTransaction.newBuilder()
                .setTransactionId(UUID.randomUUID())
                .setCardId("card-1")
                .setAccountId("account-1")
                .setAmount(amount.setScale(4))
                .setCurrency("EUR")
                .setMerchantId(merchantId)
                .setMcc("5411")
                .setChannel(PaymentChannel.ECOMMERCE)
                .setEventTime(eventTime)
                .build();
    }

    /** The stock of {@code productId} in warehouse w1 at a version (LSN). */
    public static StockLevel stockLevel(String productId, long quantity, long version) {
        return StockLevel.newBuilder()
                .setProductId(productId)
                .setWarehouseId("w1")
                .setQuantity(quantity)
                .setProductTotal(quantity)
                .setVersion(version)
                .setUpdatedAt(Instant.ofEpochMilli(1000L * version))
                .build();
    }

    /**
     * A captured change of one stock row of {@code public.stock} at {@code lsn} (also its
     * transaction id), captured at second {@code lsn} after 2023-11-14T22:13:20Z.
     */
    public static InventoryChangeEvent stockChange(
            String productId,
            String warehouseId,
            ChangeOperation operation,
            Long quantityBefore,
            Long quantityAfter,
            long lsn) {
        return InventoryChangeEvent.newBuilder()
                .setProductId(productId)
                .setWarehouseId(warehouseId)
                .setOperation(operation)
                .setQuantityBefore(quantityBefore)
                .setQuantityAfter(quantityAfter)
                .setSourceTable("public.stock")
                .setLsn(lsn)
                .setTransactionId(lsn)
                .setSourceTimestamp(Instant.ofEpochSecond(1_700_000_000L + lsn))
                .setCapturedAt(Instant.ofEpochSecond(1_700_000_000L + lsn))
                .build();
    }
}
