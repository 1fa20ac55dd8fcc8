package io.etcdguardian.snapshot.catalog;

import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.snapshot.SnapshotSettings;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A download is staged whole in the spool before it is sent and deleted once sent; a service killed
 * in between leaves the file, and no download outlives the process that served it: cleared at start.
 */
@Singleton
public class DownloadsSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(DownloadsSweeper.class);

    private final SnapshotSettings settings;

    public DownloadsSweeper(SnapshotSettings settings) {
        this.settings = settings;
    }

    @EventListener
    void onStartup(StartupEvent event) {
        Path downloads = Path.of(settings.spoolDir()).resolve("downloads");
        if (Files.isDirectory(downloads)) {
            LOG.info("clearing downloads a previous run of the service left in {}", downloads);
            EtcdCluster.deleteRecursively(downloads);
        }
    }
}
