package io.etcdguardian.snapshot;

import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool belongs to one process (an emptyDir per pod), and a process killed mid-work leaves its
 * work there: spool files and backup-set tarballs ({@code <cluster>-<snapshot id>.*}), drill scratch
 * directories with their etcd still running (no shutdown hook runs on SIGKILL), downloads. At start
 * nothing of it is in use: all of it goes, scratch etcds stopped first. Repeated crashes would fill the
 * spool volume otherwise.
 */
@Singleton
public class SpoolSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolSweeper.class);
    private static final Pattern LEFTOVER = Pattern.compile("(drill-)?[a-z0-9-]+-\\d{8}T\\d{6}Z-[0-9a-f]{8}(\\..+)?");

    private final SnapshotSettings settings;

    public SpoolSweeper(SnapshotSettings settings) {
        this.settings = settings;
    }

    @EventListener
    void onStartup(StartupEvent event) {
        Path spool = Path.of(settings.spoolDir());
        if (!Files.isDirectory(spool)) {
            return;
        }
        try (Stream<Path> entries = Files.list(spool)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (name.equals("downloads") || LEFTOVER.matcher(name).matches()) {
                    LOG.warn("removing {} left in the spool by a previous run of the service", entry);
                    stopScratchEtcd(entry);
                    EtcdCluster.deleteRecursively(entry);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clear the spool {}: {}", spool, e.getMessage());
        }
    }

    /**
     * Ends the etcd a killed drill left running in {@code scratch}, by the PID files there, and only if
     * the process really runs from that directory (a PID can be reused).
     */
    private static void stopScratchEtcd(Path scratch) {
        if (!Files.isDirectory(scratch)) {
            return;
        }
        try (Stream<Path> files = Files.walk(scratch)) {
            for (Path pidFile : files.filter(f -> f.toString().endsWith(".pid")).toList()) {
                String name = pidFile.getFileName().toString().replaceAll("\\.pid$", "");
                new ChildProcess(name, pidFile.getParent())
                        .handle()
                        .filter(h -> h.info()
                                .commandLine()
                                .map(c -> c.contains(scratch.toString()))
                                .orElse(false))
                        .ifPresent(h -> {
                            LOG.warn("stopping the scratch etcd (pid {}) a killed drill left running", h.pid());
                            h.destroyForcibly();
                            h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
                        });
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot stop what a killed drill left in {}: {}", scratch, e.getMessage());
        }
    }
}
