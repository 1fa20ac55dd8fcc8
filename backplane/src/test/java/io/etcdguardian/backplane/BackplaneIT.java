package io.etcdguardian.backplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

class BackplaneIT {

    @Test
    void startsRealComponentsIdempotentlyAndStopsThemWithoutStrays(@TempDir Path state) {
        List<TopicSpec> topics =
                List.of(new TopicSpec("guardian.test.events", 3, false), new TopicSpec("guardian.test.state", 3, true));
        Backplane backplane = Backplane.startOrReuse(state, Backplane.Options.defaults(), topics);
        List<Long> pids =
                backplane.status().stream().map(Backplane.ComponentStatus::pid).toList();
        try {
            assertThat(pids).hasSize(5).doesNotContainNull();

            // each component does its real job, checked with an independent client
            backplane.etcd().etcdctl("put", "/probe", "1");
            assertThat(backplane.etcd().etcdctl("get", "/probe", "--print-value-only"))
                    .isEqualTo("1\n");
            assertThat(backplane.etcd().etcdctl("member", "list")).contains("etcd-0", "etcd-1", "etcd-2");
            assertThat(backplane.kafka().topicNames()).contains("guardian.test.events", "guardian.test.state");
            try (S3Client s3 = backplane.s3().client()) {
                assertThat(s3.listBuckets().buckets()).anyMatch(b -> b.name().equals("etcd-snapshots"));
            }

            // a second start finds everything running and starts nothing new
            Backplane again = Backplane.startOrReuse(state, Backplane.Options.defaults(), topics);
            assertThat(again.status().stream()
                            .map(Backplane.ComponentStatus::pid)
                            .toList())
                    .isEqualTo(pids);

            // a member that went down is brought back by the next start
            backplane.etcd().killMember(1);
            Backplane.startOrReuse(state, Backplane.Options.defaults(), topics);
            assertThat(backplane.etcd().isMemberAlive(1)).isTrue();
        } finally {
            Backplane.load(state).orElseThrow().stop();
        }
        assertThat(backplane.status()).noneMatch(Backplane.ComponentStatus::running);
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid)).isEmpty());
    }
}
