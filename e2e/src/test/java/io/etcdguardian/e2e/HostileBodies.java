package io.etcdguardian.e2e;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Request bodies a careless or hostile caller sends, by name: each must be refused with a reason, never a 5xx. */
final class HostileBodies {
    private HostileBodies() {}

    record Body(String contentType, byte[] bytes) {
        static Body json(String text) {
            return new Body("application/json", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    static Map<String, Body> forEndpoint(String path) {
        Map<String, Body> all = new LinkedHashMap<>();
        all.put("not JSON", Body.json("this is not json"));
        all.put("truncated JSON", Body.json("{\"alerts\": [{\"status\": \"fir"));
        all.put("nested 5000 deep", Body.json("[".repeat(5000) + "]".repeat(5000)));
        all.put("text/plain", new Body("text/plain", "{}".getBytes(StandardCharsets.UTF_8)));
        all.put("11 MiB", Body.json("{\"reason\": \"" + "x".repeat(11 << 20) + "\"}"));
        if (path.equals("/alertmanager")) {
            all.put("empty", Body.json(""));
            all.put("JSON null", Body.json("null"));
            all.put("an array", Body.json("[]"));
            all.put("no alerts", Body.json("{\"version\": \"4\"}"));
            all.put("alerts not a list", Body.json("{\"alerts\": {\"a\": 1}}"));
            all.put("alerts of numbers and nulls", Body.json("{\"alerts\": [1, null, \"x\"]}"));
            all.put("a firing alert naming a cluster with a path", Body.json(alert("../../etc/passwd")));
            all.put("a firing alert naming a 10 000-character cluster", Body.json(alert("c".repeat(10_000))));
            all.put(
                    "invalid UTF-8 in the cluster label",
                    new Body(
                            "application/json",
                            concat(
                                    "{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"alertname\": \"etcdDatabaseHighFragmentationRatio\","
                                            + " \"cluster\": \"",
                                    new byte[] {(byte) 0xff, (byte) 0xfe},
                                    "\"}}]}")));
            StringBuilder many = new StringBuilder("{\"alerts\": [");
            for (int i = 0; i < 10_000; i++) {
                many.append(i == 0 ? "" : ",").append(alertObject("nobody-" + i));
            }
            all.put(
                    "10 000 firing alerts for unknown clusters",
                    Body.json(many.append("]}").toString()));
        } else {
            all.put("an array", Body.json("[]"));
            all.put("a number", Body.json("42"));
            all.put("reason not a string", Body.json("{\"reason\": {\"nested\": true}}"));
            all.put("a 900 KiB reason", Body.json("{\"reason\": \"" + "r".repeat(900 * 1024) + "\"}"));
            all.put("a 10 000-character requestedBy", Body.json("{\"requestedBy\": \"" + "b".repeat(10_000) + "\"}"));
            all.put("a reason with NUL and control characters", Body.json("{\"reason\": \"a\\u0000b\\u001bc\"}"));
        }
        return all;
    }

    private static String alert(String cluster) {
        return "{\"version\": \"4\", \"alerts\": [" + alertObject(cluster) + "]}";
    }

    private static String alertObject(String cluster) {
        return "{\"status\": \"firing\", \"labels\": {\"alertname\": \"etcdDatabaseHighFragmentationRatio\","
                + " \"cluster\": \"" + cluster + "\"}, \"startsAt\": \"2026-12-01T00:00:00Z\"}";
    }

    private static byte[] concat(String head, byte[] middle, String tail) {
        byte[] a = head.getBytes(StandardCharsets.UTF_8);
        byte[] c = tail.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[a.length + middle.length + c.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(middle, 0, all, a.length, middle.length);
        System.arraycopy(c, 0, all, a.length + middle.length, c.length);
        return all;
    }
}
