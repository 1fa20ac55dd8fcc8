package io.etcdguardian.localetcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A launcher SIGKILLed between starting a member and writing its PID file (a restore killed in
 * start-members): the member runs unrecorded. Starting it again adopts that process instead of
 * launching a second etcd that fails to bind the same ports.
 */
class UnrecordedMemberIT {
    @TempDir
    Path dir;

    @Test
    void aMemberRunningWithoutItsPidFileIsAdoptedNotStartedTwice() throws Exception {
        EtcdCluster etcd = EtcdCluster.plan(dir, 1, 0).start();
        try {
            long running = etcd.process(0).pid().orElseThrow();
            Path pidFile = dir.resolve(etcd.members().get(0).name())
                    .resolve(etcd.members().get(0).name() + ".pid");
            assertThat(pidFile).exists();
            Files.delete(pidFile); // as if the launcher died before writing it
            assertThat(etcd.process(0).isAlive()).isFalse();

            etcd.startMember(0);
            etcd.awaitHealthy(0);

            assertThat(etcd.process(0).pid()).as("the running member, adopted").contains(running);
            assertThat(ProcessHandle.allProcesses()
                            .filter(p -> p.info()
                                    .arguments()
                                    .map(a -> String.join(" ", a))
                                    .orElse("")
                                    .contains(etcd.members().get(0).dataDir().toString())))
                    .as("one etcd serves the data dir")
                    .hasSize(1);
        } finally {
            etcd.stop();
        }
    }
}
