package io.etcdguardian.common.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.Fleet;
import io.etcdguardian.common.fleet.FleetChanged;
import io.etcdguardian.common.fleet.FleetParser;
import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client the fleet drops is closed, but not under an operation that uses it. */
class EtcdClientsIT {
    @TempDir
    Path dir;

    private EtcdCluster etcd;
    private ClusterSpec cluster;
    private final EtcdClients clients = new EtcdClients();

    @BeforeEach
    void startEtcd() {
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 1, 0).start();
        FleetParser.Result fleet =
                FleetParser.parseDocument("""
                        clusters:
                          - id: dropped
                            etcd: { endpoints: [%s] }
                            store: { bucket: etcd-snapshots }
                        """.formatted(etcd.endpoints().get(0)));
        assertThat(fleet.problems()).isEmpty();
        cluster = fleet.clusters().get("dropped");
    }

    @AfterEach
    void stop() {
        clients.close();
        etcd.stop();
    }

    @Test
    void aDroppedClusterKeepsItsClientUntilTheLastPinIsReleased() throws Exception {
        Client client = clients.member(cluster, etcd.endpoints().get(0));
        EtcdClients.Pin operation = clients.pin(cluster);
        EtcdClients.Pin poll = clients.pin(cluster);

        clients.onFleetChanged(new FleetChanged(Fleet.EMPTY, Set.of("dropped")));
        assertThat(answers(client)).as("in use by two pins: open").isTrue();
        poll.close();
        poll.close(); // a pin released twice counts once
        assertThat(answers(client)).as("one pin left: still open").isTrue();

        operation.close();
        assertThatThrownBy(() -> answers(client))
                .as("the last pin released: closed")
                .isNotNull();
        assertThat(clients.member(cluster, etcd.endpoints().get(0)))
                .as("a later use gets a client of its own")
                .isNotSameAs(client);
    }

    @Test
    void aDroppedClusterThatNothingUsesIsClosedAtOnce() {
        Client client = clients.member(cluster, etcd.endpoints().get(0));
        clients.onFleetChanged(new FleetChanged(new Fleet(1, Map.of()), Set.of("dropped")));
        assertThatThrownBy(() -> answers(client)).isNotNull();
    }

    private static boolean answers(Client client) throws Exception {
        client.getKVClient()
                .get(ByteSequence.from("/probe".getBytes()))
                .get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        return true;
    }
}
