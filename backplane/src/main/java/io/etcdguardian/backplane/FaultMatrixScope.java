package io.etcdguardian.backplane;

import java.util.List;
import java.util.function.Predicate;

/**
 * Which cases a fault matrix runs: the reduced set in the default test run (CI keeps the whole suite
 * under its time budget), every case with {@code -Dguardian.matrix=full} (the README's full-matrix
 * command). The reduced set keeps the cases that found or guard a real defect.
 */
public final class FaultMatrixScope {
    private FaultMatrixScope() {}

    public static boolean full() {
        return "full".equals(System.getProperty("guardian.matrix"));
    }

    /** {@code all} in a full run, else those of {@code all} that are {@code inReduced}, in {@code all}'s order. */
    public static <T> List<T> cases(List<T> all, Predicate<T> inReduced) {
        return full() ? all : all.stream().filter(inReduced).toList();
    }

    /** How the run is described in a matrix's table. */
    public static String describe(int run, int all) {
        return run == all
                ? "full matrix"
                : "reduced matrix (" + run + " of " + all + " cases; -Dguardian.matrix=full" + " runs all)";
    }
}
