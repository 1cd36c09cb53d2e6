package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;

import org.junit.jupiter.api.Test;

import static io.pipelinekit.jobs.fraud.rules.Payments.history;
import static io.pipelinekit.jobs.fraud.rules.Payments.online;
import static io.pipelinekit.jobs.fraud.rules.Payments.present;
import static org.assertj.core.api.Assertions.assertThat;

class ImpossibleTravelRuleTest {

    private static final double BERLIN_LAT = 52.52, BERLIN_LON = 13.405;
    private static final double MUNICH_LAT = 48.137, MUNICH_LON = 11.575; // ~504 km away

    private final ImpossibleTravelRule rule =
            new ImpossibleTravelRule(new ImpossibleTravelParameters(900.0, 50.0));

    @Test
    void firesWhenTheImpliedSpeedIsTooHigh() {
        var past = history(present("20", 0, BERLIN_LAT, BERLIN_LON));
        // 504 km in 30 min = ~1008 km/h
        assertThat(rule.evaluate(present("20", 1800, MUNICH_LAT, MUNICH_LON), past))
                .get()
                .satisfies(hit -> assertThat(hit.relatedTransactionIds()).hasSize(1));
        // 504 km in 1 h is a flight
        assertThat(rule.evaluate(present("20", 3600, MUNICH_LAT, MUNICH_LON), past)).isEmpty();
    }

    @Test
    void comparesWithThePreviousCardPresentTransactionOnly() {
        var past = history(present("20", 0, BERLIN_LAT, BERLIN_LON), online("5", 1700));
        assertThat(rule.evaluate(present("20", 1800, MUNICH_LAT, MUNICH_LON), past)).isPresent();
        assertThat(rule.evaluate(online("20", 1800), past)).isEmpty();
    }

    @Test
    void ignoresNearbyTerminalsAndSimultaneousDistantOnesAlert() {
        var past = history(present("20", 0, BERLIN_LAT, BERLIN_LON));
        assertThat(rule.evaluate(present("20", 1, 52.53, 13.41), past)).isEmpty(); // ~1 km
        assertThat(rule.evaluate(present("20", 0, MUNICH_LAT, MUNICH_LON), past)).isPresent();
    }

    @Test
    void distanceIsTheGreatCircle() {
        double km =
                ImpossibleTravelRule.distanceKm(
                        PastTransaction.of(present("1", 0, BERLIN_LAT, BERLIN_LON)),
                        PastTransaction.of(present("1", 0, MUNICH_LAT, MUNICH_LON)));
        assertThat(km).isBetween(500.0, 508.0);
    }
}
