package io.etcdguardian.common.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class WorkerPoolTest {

    @Test
    void blockingTasksRunSideBySideWhateverTheCpuCount() throws Exception {
        WorkerPool pool = new WorkerPool("probe", 3);
        try {
            // each task waits for all three: they finish only if all three run at once
            CountDownLatch started = new CountDownLatch(3);
            List<CompletableFuture<Boolean>> all = IntStream.range(0, 3)
                    .mapToObj(i -> CompletableFuture.supplyAsync(
                            () -> {
                                started.countDown();
                                try {
                                    return started.await(10, TimeUnit.SECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                    return false;
                                }
                            },
                            pool))
                    .toList();
            assertThat(all)
                    .allSatisfy(f -> assertThat(f.get(20, TimeUnit.SECONDS)).isTrue());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTaskLogsWithTheContextOfWhoHandedItOverAndLeavesNoneBehind() throws Exception {
        WorkerPool pool = new WorkerPool("stats", 1);
        try {
            MDC.put("cluster", "prod-eu-1");
            MDC.put("op", "op-7");
            String seen = CompletableFuture.supplyAsync(() -> MDC.get("cluster") + "/" + MDC.get("op"), pool)
                    .get(10, TimeUnit.SECONDS);
            assertThat(seen).isEqualTo("prod-eu-1/op-7");
            MDC.clear();
            // the same thread, next task: handed over without a context, it has none
            String after = CompletableFuture.supplyAsync(() -> String.valueOf(MDC.get("cluster")), pool)
                    .get(10, TimeUnit.SECONDS);
            assertThat(after).isEqualTo("null");
        } finally {
            MDC.clear();
            pool.shutdownNow();
        }
    }

    @Test
    void threadsAreNamedAndDoNotKeepTheJvmAlive() throws Exception {
        WorkerPool pool = new WorkerPool("member-probe", 2);
        try {
            Thread thread =
                    CompletableFuture.supplyAsync(Thread::currentThread, pool).get(10, TimeUnit.SECONDS);
            assertThat(thread.getName()).startsWith("member-probe-");
            assertThat(thread.isDaemon()).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThatThrownBy(() -> new WorkerPool("none", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("none: threads must be at least 1, not 0");
    }
}
