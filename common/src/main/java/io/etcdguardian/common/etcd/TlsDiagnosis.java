package io.etcdguardian.common.etcd;

import io.etcdguardian.common.fleet.TlsSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Says why TLS to a member fails. gRPC retries a failed handshake until the request times out, so
 * the operator would see only "timeout"; a direct handshake with the same PEM files names the cause
 * (untrusted server certificate, client certificate refused, wrong host name).
 */
public final class TlsDiagnosis {
    private TlsDiagnosis() {}

    /** Empty when the handshake succeeds (the problem is elsewhere). */
    public static Optional<String> handshake(String endpoint, TlsSpec tls) {
        URI uri = URI.create(endpoint);
        try {
            SSLContext context = context(tls);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 3000);
                socket.setSoTimeout(3000);
                var params = socket.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                params.setApplicationProtocols(new String[] {"h2"});
                socket.setSSLParameters(params);
                socket.startHandshake();
                // a refused client certificate shows only when the server first reads from us (TLS 1.3)
                socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes());
                socket.getOutputStream().flush();
                socket.getInputStream().read();
                return Optional.empty();
            }
        } catch (GeneralSecurityException e) {
            return Optional.of("TLS material unusable: " + e.getMessage());
        } catch (IOException e) {
            String cause = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof javax.net.ssl.SSLException || cause.contains("certificate") || cause.contains("PKIX")) {
                return Optional.of("TLS handshake with " + endpoint + " failed: " + cause
                        + (cause.contains("PKIX") ? " (the server's certificate is not signed by etcd.tls.ca)" : ""));
            }
            return Optional.empty();
        }
    }

    private static SSLContext context(TlsSpec tls) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate ca : certificates(Path.of(tls.ca()))) {
            trust.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (tls.cert() != null && tls.key() != null) {
            KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
            keys.load(null, null);
            keys.setKeyEntry(
                    "client",
                    privateKey(Path.of(tls.key())),
                    new char[0],
                    certificates(Path.of(tls.cert())).toArray(Certificate[]::new));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static Collection<? extends Certificate> certificates(Path pem)
            throws GeneralSecurityException, IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    private static PrivateKey privateKey(Path pem) throws GeneralSecurityException, IOException {
        String text = Files.readString(pem);
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException tryNext) {
                // not this algorithm
            }
        }
        throw new GeneralSecurityException("key " + pem + " is not a PKCS#8 EC, RSA or Ed25519 key");
    }
}
