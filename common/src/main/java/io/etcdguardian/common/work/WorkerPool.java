package io.etcdguardian.common.work;

import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.MDC;

/**
 * A fixed number of named daemon threads for blocking work handed off by an operation. Not the JVM's
 * common pool: its size follows the pod's CPU limit (one thread under a limit of 2), so three member
 * probes there run one after the other, and a stalled member costs its timeout three times. Each
 * task logs with the MDC (cluster, operation) of the thread that handed it over; idle threads end.
 */
public final class WorkerPool extends ThreadPoolExecutor {

    public WorkerPool(String name, int threads) {
        super(atLeastOne(name, threads), threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named(name));
        allowCoreThreadTimeOut(true);
    }

    private static int atLeastOne(String name, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException(name + ": threads must be at least 1, not " + threads);
        }
        return threads;
    }

    @Override
    public void execute(Runnable command) {
        Map<String, String> handedOver = MDC.getCopyOfContextMap();
        super.execute(() -> {
            Map<String, String> own = MDC.getCopyOfContextMap();
            set(handedOver);
            try {
                command.run();
            } finally {
                set(own);
            }
        });
    }

    private static void set(Map<String, String> context) {
        if (context == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(context);
        }
    }

    private static ThreadFactory named(String name) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
