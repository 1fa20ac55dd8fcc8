package io.etcdguardian.restore;

import io.etcdguardian.common.http.ServiceLauncher;

public final class Application {
    private Application() {}

    public static void main(String[] args) {
        ServiceLauncher.run(Application.class, args);
    }
}
