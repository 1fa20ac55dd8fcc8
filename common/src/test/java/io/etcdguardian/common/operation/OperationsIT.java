package io.etcdguardian.common.operation;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.operation.OperationRecord.Status;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operation model's outcomes on the real journal (Kafka) and a directory lease store: one final
 * outcome per id, a stopped operation says where, a started one is never called "nothing touched",
 * and only an operator's resume reopens a FAILED one.
 */
@ExtendWith(BackplaneExtension.class)
class OperationsIT {
    private static final List<String> PLAN = List.of("one", "two", "three");

    @TempDir
    Path dir;

    private ApplicationContext context;
    private Operations operations;
    private OperationJournal journal;
    private ClusterSpec cluster;
    private final List<String> acted = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start(Backplane backplane) {
        context = ApplicationContext.run(Map.of(
                "spec.name",
                "OperationsIT",
                "micronaut.application.name",
                "operations-test",
                "kafka.bootstrap.servers",
                backplane.kafka().bootstrapServers()));
        operations = context.getBean(Operations.class);
        journal = context.getBean(OperationJournal.class);
        cluster = cluster(false);
    }

    @AfterEach
    void stop() {
        context.close();
    }

    @Test
    void aFailedStepEndsTheOperationWhereItStoodAndOnlyAResumeReopensIt() {
        String id = "op-" + UUID.randomUUID();
        Operations.Result failed =
                operations.run(cluster, OperationKind.DEFRAG, id, null, PLAN, run -> steps(run, "two"));
        assertThat(failed.status()).isEqualTo(Status.FAILED);
        assertThat(failed.record().stoppedAt()).isEqualTo("two");
        assertThat(failed.record().done()).containsExactly("one");
        assertThat(failed.record().reason()).isEqualTo(Reason.ETCD_UNAVAILABLE.name());
        assertThat(journal.find(id)).get().extracting(OperationRecord::status).isEqualTo(Status.FAILED);

        // the same request again: the same outcome, nothing run
        acted.clear();
        Operations.Result again =
                operations.run(cluster, OperationKind.DEFRAG, id, null, PLAN, run -> steps(run, null));
        assertThat(again.replayed()).isTrue();
        assertThat(again.status()).isEqualTo(Status.FAILED);
        assertThat(acted).isEmpty();

        // an operator's resume reopens it: done steps are skipped, the rest runs, one new outcome
        List<StepRun.Start> how = new CopyOnWriteArrayList<>();
        Operations.Result resumed = operations.run(
                new Operations.Start(cluster, OperationKind.DEFRAG, id, null, PLAN, Map.of(), true), run -> {
                    how.add(run.start());
                    return steps(run, null);
                });
        assertThat(how).containsExactly(StepRun.Start.REOPENED);
        assertThat(resumed.status()).isEqualTo(Status.COMPLETED);
        assertThat(acted).containsExactly("two", "three");
        assertThat(resumed.record().stoppedAt()).isNull();
        assertThat(journal.find(id)).get().extracting(OperationRecord::done).isEqualTo(PLAN);
    }

    @Test
    void aStartedOperationThatCannotGoOnIsFailedWithItsDoneStepsNeverRefused() {
        String id = "op-" + UUID.randomUUID();
        // the service died after step one: the journal says RUNNING
        OperationRecord running = OperationRecord.running(
                        id, cluster.id(), OperationKind.RESTORE, "snap-1", PLAN, Map.of("plan.digest", "sha256:abc"))
                .withDone("one");
        journal.record(running);

        Operations.Result paused =
                operations.run(cluster(true), OperationKind.RESTORE, id, "snap-1", PLAN, run -> steps(run, null));
        assertThat(paused.status()).isEqualTo(Status.FAILED);
        assertThat(paused.record().reason()).isEqualTo(Reason.PAUSED.name());
        assertThat(paused.record().detail()).contains("done before: one").doesNotContain("nothing was touched");
        assertThat(paused.record().facts()).containsEntry("plan.digest", "sha256:abc");
        assertThat(acted).isEmpty();

        // a new operation refused before it ran: REFUSED, and a redelivery says the same
        String fresh = "op-" + UUID.randomUUID();
        Operations.Result refused = operations.refuse(
                cluster,
                OperationKind.RESTORE,
                fresh,
                "snap-1",
                new GuardianException(Reason.PRECONDITION_FAILED, "plan changed"));
        assertThat(refused.status()).isEqualTo(Status.REFUSED);
        assertThat(refused.record().detail()).contains("plan changed", "nothing was touched");
        Operations.Result replay =
                operations.run(cluster, OperationKind.RESTORE, fresh, "snap-1", PLAN, run -> steps(run, null));
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.status()).isEqualTo(Status.REFUSED);
        assertThat(acted).isEmpty();
    }

    @Test
    void anOperationWhoseRestIsAnOperatorsEndsHandedOverAtThatStep() {
        String id = "op-" + UUID.randomUUID();
        Operations.Result result = operations.run(cluster, OperationKind.RESTORE, id, "snap-1", PLAN, run -> {
            run.step("one", () -> acted.add("one"));
            run.handOver("two");
            return "run two and three on the host";
        });
        assertThat(result.status()).isEqualTo(Status.HANDED_OVER);
        assertThat(result.record().stoppedAt()).isEqualTo("two");
        assertThat(journal.ofCluster(cluster.id(), OperationKind.RESTORE))
                .singleElement()
                .extracting(OperationRecord::status)
                .isEqualTo(Status.HANDED_OVER);
        // handed over is not open: it does not keep its snapshot from retention
        assertThat(journal.snapshotsOfOpenRestores(cluster.id())).isEmpty();
    }

    private String steps(StepRun run, String failAt) throws Exception {
        for (String step : PLAN) {
            run.step(step, () -> {
                if (step.equals(failAt)) {
                    throw new GuardianException(Reason.ETCD_UNAVAILABLE, "member down at " + step);
                }
                acted.add(step);
            });
        }
        return "all done";
    }

    private ClusterSpec cluster(boolean paused) {
        String id = cluster == null ? "ops-" + UUID.randomUUID().toString().substring(0, 8) : cluster.id();
        return new ClusterSpec(
                id,
                null,
                new StoreSpec("ops", null, null, dir.resolve("store").toUri().toString(), null, null, null, null, null),
                null,
                null,
                null,
                null,
                paused,
                null,
                null);
    }
}
