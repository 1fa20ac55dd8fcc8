package io.etcdguardian.common.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The whole key space of an etcd counted without reading a value, and the revision it was counted
 * at: how a snapshot's live keys are taken and how a restore of it (a drill, a local restore) is
 * checked.
 */
public record KeyCount(long revision, long keys) {
    private static final ByteSequence ALL = ByteSequence.from(new byte[] {0});

    /** At {@code revision}, or at the newest one when it is 0. */
    public static KeyCount of(Client client, long revision, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        GetOption.Builder count = GetOption.builder().withRange(ALL).withCountOnly(true);
        if (revision > 0) {
            count.withRevision(revision);
        }
        GetResponse response =
                client.getKVClient().get(ALL, count.build()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return new KeyCount(response.getHeader().getRevision(), response.getCount());
    }

    /** The newest revision of a cluster this code started (a restored one), through a client of its own. */
    public static KeyCount of(List<String> endpoints, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try (Client client =
                Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
            return of(client, 0, timeout);
        }
    }
}
