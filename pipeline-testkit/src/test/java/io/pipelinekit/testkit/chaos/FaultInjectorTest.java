package io.pipelinekit.testkit.chaos;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FaultInjectorTest {

    /** A test double that logs calls and stops the "output" while a fault is active. */
    private static final class RecordingAction implements FaultAction {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final AtomicLong output;
        volatile boolean down;

        RecordingAction(AtomicLong output) {
            this.output = output;
        }

        @Override
        public String inject(Fault fault) {
            down = true;
            calls.add("inject " + fault.number() + " " + fault.kind());
            return "victim " + fault.target() % 3;
        }

        @Override
        public void heal(Fault fault) {
            calls.add("heal " + fault.number());
            down = false;
        }
    }

    private static FaultPlan plan(long seed, int faults, Duration downtime) {
        return FaultPlan.builder()
                .seed(seed)
                .faults(faults)
                .kinds(FaultKind.S3_OUTAGE, FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT)
                .spacing(Duration.ofMillis(20), Duration.ofMillis(60))
                .downtime(downtime, downtime)
                .build();
    }

    @Test
    void runsThePlanInOrderAndMeasuresRecovery() throws Exception {
        // Spaced so that the output recovers before the next fault.
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(3)
                        .faults(4)
                        .kinds(FaultKind.S3_OUTAGE, FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT)
                        .spacing(Duration.ofMillis(250), Duration.ofMillis(300))
                        .downtime(Duration.ofMillis(300), Duration.ofMillis(300))
                        .build();
        AtomicLong output = new AtomicLong();
        RecordingAction action = new RecordingAction(output);
        // The "pipeline" produces output every 10 ms unless a fault is active.
        Thread pipeline =
                new Thread(
                        () -> {
                            while (!Thread.currentThread().isInterrupted()) {
                                if (!action.down) {
                                    output.incrementAndGet();
                                }
                                try {
                                    Thread.sleep(10);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        });
        pipeline.setDaemon(true);
        pipeline.start();
        try (FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.S3_OUTAGE, action)
                        .action(FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT, action)
                        .outputProgress(output::get)
                        .probeInterval(Duration.ofMillis(5))
                        .inFlightGrace(Duration.ofMillis(50))
                        .build()
                        .start()) {
            injector.awaitCompletion(Duration.ofSeconds(30));
            assertThat(injector.isDone()).isTrue();
            // Output after the last fault shows up once the in-flight grace has passed.
            Thread.sleep(300);
            List<FaultEvent> events = injector.events();
            assertThat(events).hasSize(4);
            assertThat(events.stream().map(FaultEvent::fault).collect(Collectors.toList()))
                    .isEqualTo(plan.faults());
            for (FaultEvent event : events) {
                assertThat(event.error()).isEmpty();
                assertThat(event.injected()).isTrue();
                assertThat(event.note()).startsWith("victim ");
                assertThat(event.healedAt()).isPresent();
                assertThat(event.recovery()).isPresent();
                assertThat(event.notRecoveredBeforeNextFault()).isFalse();
                if (event.kind() == FaultKind.S3_OUTAGE) {
                    // Output stops for the downtime: recovery comes after healing.
                    assertThat(event.downtime().get())
                            .isGreaterThanOrEqualTo(Duration.ofMillis(300));
                    assertThat(event.recovery().get())
                            .isGreaterThanOrEqualTo(Duration.ofMillis(300));
                } else {
                    assertThat(event.downtime().get()).isLessThan(Duration.ofMillis(300));
                }
            }
            assertThat(action.calls)
                    .containsExactlyElementsOf(
                            plan.faults().stream()
                                    .flatMap(
                                            f ->
                                                    java.util.stream.Stream.of(
                                                            "inject " + f.number() + " " + f.kind(),
                                                            "heal " + f.number()))
                                    .collect(Collectors.toList()));
        } finally {
            pipeline.interrupt();
        }
    }

    @Test
    void closeHealsTheActiveFault() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(1)
                        .faults(3)
                        .kinds(FaultKind.KAFKA_BROKER_RESTART)
                        .spacing(Duration.ZERO, Duration.ZERO)
                        .downtime(Duration.ofMinutes(10), Duration.ofMinutes(10))
                        .build();
        RecordingAction action = new RecordingAction(new AtomicLong());
        FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.KAFKA_BROKER_RESTART, action)
                        .build()
                        .start();
        while (action.calls.isEmpty()) {
            Thread.sleep(5);
        }
        injector.close();
        assertThat(action.calls).containsExactly("inject 1 KAFKA_BROKER_RESTART", "heal 1");
        assertThat(injector.events()).hasSize(1);
        assertThat(injector.events().get(0).recovery()).isEmpty();
    }

    @Test
    void aFailedInjectionStopsTheRunAndFailsWithThePlan() throws Exception {
        FaultPlan plan = plan(5, 3, Duration.ofMillis(10));
        FaultAction broken =
                fault -> {
                    throw new IllegalStateException("no such victim");
                };
        try (FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.S3_OUTAGE, broken)
                        .action(FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT, broken)
                        .build()
                        .start()) {
            assertThatThrownBy(() -> injector.awaitCompletion(Duration.ofSeconds(30)))
                    .hasMessageContaining("Fault injection failed")
                    .hasMessageContaining("no such victim")
                    .hasMessageContaining("-Dchaos.seed=5");
            assertThat(injector.events()).hasSize(1);
            assertThat(injector.events().get(0).injected()).isFalse();
        }
    }

    @Test
    void everyPlannedKindNeedsATarget() {
        assertThatThrownBy(() -> FaultInjector.builder(plan(1, 2, Duration.ZERO)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("S3_OUTAGE is in the plan but has no target: add s3(")
                .hasMessageContaining(
                        "OPERATOR_FAILURE_AFTER_CHECKPOINT is in the plan but has no target");
        assertThatThrownBy(() -> FaultInjector.builder(plan(1, 2, Duration.ZERO)).s3(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("s3");
        assertThatThrownBy(
                        () ->
                                FaultInjector.builder(plan(1, 2, Duration.ZERO))
                                        .operatorFailures("x")
                                        .operatorFailureTimeout(Duration.ZERO)
                                        .action(FaultKind.S3_OUTAGE, f -> "")
                                        .build())
                .hasMessageContaining("operatorFailureTimeout must be positive");
        assertThatThrownBy(() -> FaultInjector.builder(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void anArmedOperatorFailureThrowsOnceAfterTheNextCheckpoint() throws Exception {
        String name = "unit-" + System.nanoTime();
        FailAfterCheckpoint<Long> operator = FailAfterCheckpoint.operator(name);
        assertThat(operator.map(1L)).isEqualTo(1L);
        FailAfterCheckpoint.arm(name);
        assertThat(FailAfterCheckpoint.isArmed(name)).isTrue();
        assertThat(operator.map(2L)).isEqualTo(2L); // no checkpoint completed yet
        operator.notifyCheckpointComplete(7);
        assertThatThrownBy(() -> operator.map(3L))
                .isInstanceOf(FailAfterCheckpoint.InjectedFailureException.class)
                .hasMessageContaining("Injected failure #1 of '" + name + "'");
        assertThat(operator.map(4L)).isEqualTo(4L);
        assertThat(FailAfterCheckpoint.failures(name)).isEqualTo(1);
        assertThat(FailAfterCheckpoint.isArmed(name)).isFalse();
        // Armed again: fails again.
        FailAfterCheckpoint.arm(name);
        operator.notifyCheckpointComplete(8);
        assertThatThrownBy(() -> operator.map(5L)).hasMessageContaining("Injected failure #2");
    }

    @Test
    void recoveryIgnoresOutputInFlightAtTheFault() {
        FaultInjector.ProgressLog log = new FaultInjector.ProgressLog();
        java.time.Instant t0 = java.time.Instant.parse("2026-01-01T00:00:00Z");
        log.add(t0, 10);
        log.add(t0.plusMillis(100), 12); // in flight
        log.add(t0.plusMillis(1000), 12);
        log.add(t0.plusMillis(2500), 13); // recovered
        assertThat(log.recovery(t0, Duration.ofMillis(500), null))
                .isEqualTo(Duration.ofMillis(2500));
        assertThat(log.recovery(t0.plusMillis(2600), Duration.ofMillis(500), null)).isNull();
        // The next fault came at +2 s: the progress at +2.5 s is not this fault's recovery.
        assertThat(log.recovery(t0, Duration.ofMillis(500), t0.plusMillis(2000))).isNull();
        assertThat(log.recovery(t0, Duration.ofMillis(500), t0.plusMillis(2501)))
                .isEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void recoveryStopsAtTheNextFault() throws Exception {
        // The output never moves: every fault but the last is cut off by the next one.
        FaultPlan plan = plan(11, 3, Duration.ofMillis(20));
        RecordingAction action = new RecordingAction(new AtomicLong());
        try (FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.S3_OUTAGE, action)
                        .action(FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT, action)
                        .outputProgress(() -> 5)
                        .probeInterval(Duration.ofMillis(5))
                        .build()
                        .start()) {
            injector.awaitCompletion(Duration.ofSeconds(30));
            List<FaultEvent> events = injector.events();
            assertThat(events).hasSize(3);
            for (int i = 0; i < 3; i++) {
                assertThat(events.get(i).recovery()).isEmpty();
                assertThat(events.get(i).notRecoveredBeforeNextFault()).isEqualTo(i < 2);
            }
            assertThat(events.get(0).toString())
                    .contains("output not recovered before the next fault");
        }
    }

    @Test
    void failedCheckpointsAreCountedFromEachFaultToTheNext() throws Exception {
        FaultPlan plan = plan(12, 3, Duration.ofMillis(10));
        AtomicLong failed = new AtomicLong(100);
        AtomicLong completed = new AtomicLong(7);
        // Fault #2 lets 3 checkpoints complete while it is active: right after the sample taken
        // at its injection.
        java.util.concurrent.atomic.AtomicBoolean threeComplete =
                new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.LongSupplier completedCount =
                () -> {
                    long value = completed.get();
                    if (threeComplete.compareAndSet(true, false)) {
                        completed.addAndGet(3);
                    }
                    return value;
                };
        FaultAction failsTwoCheckpoints =
                fault -> {
                    failed.addAndGet(2);
                    threeComplete.set(fault.number() == 2);
                    return "";
                };
        try (FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.S3_OUTAGE, failsTwoCheckpoints)
                        .action(FaultKind.OPERATOR_FAILURE_AFTER_CHECKPOINT, failsTwoCheckpoints)
                        .checkpoints(failed::get, completedCount)
                        .build()
                        .start()) {
            injector.awaitCompletion(Duration.ofSeconds(30));
            failed.addAndGet(5); // after the last fault, before events()
            List<FaultEvent> events = injector.events();
            assertThat(events.stream().map(e -> e.checkpointsFailed().getAsLong()))
                    .containsExactly(2L, 2L, 7L);
            assertThat(events.stream().map(e -> e.checkpointsCompletedWhileDown().getAsLong()))
                    .containsExactly(0L, 3L, 0L);
        }
    }

    @Test
    void aThrowingProbeDoesNotSpin() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(1)
                        .faults(1)
                        .kinds(FaultKind.KAFKA_BROKER_RESTART)
                        .spacing(Duration.ofSeconds(10), Duration.ofSeconds(10))
                        .build();
        AtomicLong calls = new AtomicLong();
        try (FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.KAFKA_BROKER_RESTART, new RecordingAction(calls))
                        .outputProgress(
                                () -> {
                                    if (calls.incrementAndGet() > 1) {
                                        throw new IllegalStateException("tail died");
                                    }
                                    return 0;
                                })
                        .probeInterval(Duration.ofMillis(50))
                        .build()
                        .start()) {
            Thread.sleep(500);
            assertThat(calls.get()).isBetween(2L, 20L);
        }
    }

    @Test
    void anInterruptedInjectionIsHealedAndReported() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(1)
                        .faults(2)
                        .kinds(FaultKind.TASK_MANAGER_KILL)
                        .spacing(Duration.ZERO, Duration.ZERO)
                        .build();
        List<String> calls = new CopyOnWriteArrayList<>();
        FaultAction slow =
                new FaultAction() {
                    @Override
                    public String inject(Fault fault) throws Exception {
                        calls.add("inject " + fault.number());
                        Thread.sleep(60_000);
                        return "";
                    }

                    @Override
                    public void heal(Fault fault) {
                        calls.add("heal " + fault.number());
                    }
                };
        FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.TASK_MANAGER_KILL, slow)
                        .build()
                        .start();
        while (calls.isEmpty()) {
            Thread.sleep(5);
        }
        injector.close();
        assertThat(calls).containsExactly("inject 1", "heal 1");
        List<FaultEvent> events = injector.events();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).outcome()).isEqualTo(FaultEvent.Outcome.INJECT_INTERRUPTED);
        assertThat(events.get(0).injected()).isFalse();
        assertThat(events.get(0).healedAt()).isPresent();
        assertThat(ChaosReport.builder().plan(plan).events(events).build().faultProblems())
                .contains(plan.faults().get(1) + " did not run");
    }

    @Test
    void closeFailsNamingTheFaultWhenTheInjectorDoesNotStop() throws Exception {
        FaultPlan plan =
                FaultPlan.builder()
                        .seed(1)
                        .faults(1)
                        .kinds(FaultKind.S3_OUTAGE)
                        .spacing(Duration.ZERO, Duration.ZERO)
                        .build();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch injecting = new java.util.concurrent.CountDownLatch(1);
        FaultAction stuck =
                fault -> {
                    injecting.countDown();
                    while (true) {
                        try {
                            release.await(); // ignores interrupts, like a hung client call
                            return "";
                        } catch (InterruptedException ignored) {
                            // keep waiting
                        }
                    }
                };
        FaultInjector injector =
                FaultInjector.builder(plan)
                        .action(FaultKind.S3_OUTAGE, stuck)
                        .closeTimeout(Duration.ofMillis(200))
                        .build()
                        .start();
        try {
            injecting.await();
            assertThatThrownBy(injector::close)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("did not stop")
                    .hasMessageContaining("injecting " + plan.faults().get(0));
        } finally {
            release.countDown();
        }
    }

    @Test
    void anOperatorFailureThatDidNotFireIsDisarmed() throws Exception {
        String name = "unit-disarm-" + System.nanoTime();
        FailAfterCheckpoint.operator(name);
        FaultAction action = FaultActions.operatorFailure(name, Duration.ofMillis(100));
        Fault fault = plan(1, 1, Duration.ZERO).faults().get(0);
        assertThatThrownBy(() -> action.inject(fault))
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        assertThat(FailAfterCheckpoint.isArmed(name)).isFalse();

        FaultAction patient = FaultActions.operatorFailure(name, Duration.ofMinutes(1));
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> patient.inject(fault)).isInstanceOf(InterruptedException.class);
        assertThat(FailAfterCheckpoint.isArmed(name)).isFalse();
    }
}
