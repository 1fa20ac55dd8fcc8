package io.etcdguardian.backplane.usage;

import java.util.Map;

/** CPU-s a JVM spent by thread name over a span, printed largest first, the small ones (< 0.05 s) left out. */
public record CpuByThread(Map<String, Double> seconds) {
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        seconds.entrySet().stream()
                .filter(e -> e.getValue() >= 0.05)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> b.append(String.format("%s %.2f; ", e.getKey(), e.getValue())));
        return b.toString();
    }
}
