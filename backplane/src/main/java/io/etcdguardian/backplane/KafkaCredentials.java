package io.etcdguardian.backplane;

import io.etcdguardian.common.security.OwnerOnlyFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What a secured local broker and its clients hold, minted once in the JVM under
 * {@code <kafka>/security} and kept readable by their owner only: a CA, a certificate for the broker
 * (127.0.0.1; it also authenticates to its own controller with it), a certificate per user for
 * mutual TLS, and a SCRAM-SHA-512 password per user. Principals are the certificates' CN, so a user
 * is the same principal over SCRAM and over mTLS and one set of ACLs covers both.
 */
public final class KafkaCredentials {
    /** The broker's own super user: creates topics and ACLs, never given to a service. */
    public static final String ADMIN = "admin";

    static final String BROKER = "kafka-broker";
    private static final Duration VALIDITY = Duration.ofDays(365);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Properties secrets;

    private KafkaCredentials(Path dir, Properties secrets) {
        this.dir = dir;
        this.secrets = secrets;
    }

    /** Reads what was minted under {@code dir}, minting what is missing for {@code users}. */
    public static KafkaCredentials ensure(Path dir, Collection<String> users) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("secrets.properties");
            KafkaCredentials credentials = new KafkaCredentials(dir, load(file));
            boolean changed = credentials.mint(users);
            if (changed) {
                OwnerOnlyFile.write(
                        file,
                        out -> credentials.secrets.store(out, "store and SCRAM passwords of the local Kafka's users"));
            }
            return credentials;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mint the local Kafka's credentials under " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot mint the local Kafka's credentials under " + dir, e);
        }
    }

    /**
     * What the broker's start minted under {@code dir}, read only: clients ask for it on every connection
     * (the readiness loop too), and minting would load the CA's key store each time.
     */
    public static KafkaCredentials read(Path dir) {
        try {
            return new KafkaCredentials(dir, load(dir.resolve("secrets.properties")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the local Kafka's credentials under " + dir, e);
        }
    }

    private static Properties load(Path file) throws IOException {
        Properties secrets = new Properties();
        if (Files.exists(file)) {
            try (var in = Files.newInputStream(file)) {
                secrets.load(in);
            }
        }
        return secrets;
    }

    /** Every user with a SCRAM password (the admin included). */
    public Set<String> users() {
        Set<String> users = new TreeSet<>();
        secrets.stringPropertyNames().stream()
                .filter(k -> k.startsWith("scram."))
                .forEach(k -> users.add(k.substring(6)));
        return users;
    }

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    Path brokerKeyStore() {
        return keyStore(BROKER);
    }

    String storePassword() {
        return secrets.getProperty("store.password");
    }

    String scramPassword(String user) {
        String password = secrets.getProperty("scram." + user);
        if (password == null) {
            throw new IllegalArgumentException("no Kafka user " + user + " on the local broker");
        }
        return password;
    }

    /** The broker's own login on its SASL listener, as a JAAS line. */
    String jaas(String user) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + scramPassword(user) + "\";";
    }

    /**
     * Every secret value of the broker's security, for secrets scans: the store password, each user's
     * SCRAM password, and of every private key (the CA's, the broker's, each mTLS user's) the first
     * line of its PEM body — what a key written into a log would show.
     */
    public List<String> secretValues() {
        List<String> values = new ArrayList<>();
        values.add(storePassword());
        secrets.stringPropertyNames().stream()
                .filter(k -> k.startsWith("scram."))
                .sorted()
                .forEach(k -> values.add(secrets.getProperty(k)));
        try (var stores = Files.list(dir)) {
            for (Path store :
                    stores.filter(f -> f.toString().endsWith(".p12")).sorted().toList()) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (var in = Files.newInputStream(store)) {
                    keys.load(in, storePassword().toCharArray());
                }
                for (String alias : java.util.Collections.list(keys.aliases())) {
                    if (keys.isKeyEntry(alias)) {
                        String body = Base64.getEncoder()
                                .encodeToString(
                                        keys.getKey(alias, storePassword().toCharArray())
                                                .getEncoded());
                        values.add(body.substring(0, Math.min(64, body.length())));
                    }
                }
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the local broker's key stores in " + dir, e);
        }
        return values;
    }

    /** Client settings of {@code user} over SASL_SSL with SCRAM-SHA-512 (the JAAS line holds its password). */
    public Map<String, String> scramClient(String user) {
        Map<String, String> props = trust();
        props.put("security.protocol", "SASL_SSL");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put("sasl.jaas.config", jaas(user));
        return props;
    }

    /** Client settings of {@code user} over mutual TLS: its own certificate, no password on the wire. */
    public Map<String, String> mtlsClient(String user) {
        Map<String, String> props = trust();
        props.put("security.protocol", "SSL");
        props.put("ssl.keystore.type", "PKCS12");
        props.put("ssl.keystore.location", keyStore(user).toString());
        props.put("ssl.keystore.password", storePassword());
        return props;
    }

    private Map<String, String> trust() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", caCertificate().toString());
        return props;
    }

    private Path keyStore(String name) {
        return dir.resolve(name + ".p12");
    }

    private boolean mint(Collection<String> users)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        boolean changed = false;
        if (secrets.getProperty("store.password") == null) {
            secrets.setProperty("store.password", randomHex());
            changed = true;
        }
        Set<String> wanted = new TreeSet<>(users);
        wanted.add(ADMIN);
        for (String user : wanted) {
            if (secrets.getProperty("scram." + user) == null) {
                secrets.setProperty("scram." + user, randomHex());
                changed = true;
            }
        }
        if (!Files.exists(caCertificate()) || !Files.exists(dir.resolve("ca.p12"))) {
            KeyPair ca = keyPair();
            X509Certificate caCert = certificate(ca, new X500Name("CN=etcd-guardian local Kafka CA"), ca, null, true);
            store(dir.resolve("ca.p12"), "ca", ca, caCert, null);
            Files.writeString(caCertificate(), pem(caCert));
        }
        KeyStore caStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("ca.p12"))) {
            caStore.load(in, storePassword().toCharArray());
        }
        X509Certificate caCert = (X509Certificate) caStore.getCertificate("ca");
        KeyPair ca = new KeyPair(caCert.getPublicKey(), (java.security.PrivateKey)
                caStore.getKey("ca", storePassword().toCharArray()));
        Set<String> holders = new TreeSet<>(wanted);
        holders.add(BROKER);
        for (String holder : holders) {
            if (!Files.exists(keyStore(holder))) {
                KeyPair pair = keyPair();
                X509Certificate cert = certificate(
                        pair,
                        new X500Name("CN=" + holder),
                        ca,
                        new X500Name(caCert.getSubjectX500Principal().getName()),
                        false);
                store(keyStore(holder), holder, pair, cert, caCert);
            }
        }
        return changed;
    }

    private void store(Path file, String alias, KeyPair pair, X509Certificate cert, X509Certificate issuer)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        Certificate[] chain = issuer == null ? new Certificate[] {cert} : new Certificate[] {cert, issuer};
        store.setKeyEntry(alias, pair.getPrivate(), storePassword().toCharArray(), chain);
        OwnerOnlyFile.write(file, out -> {
            try {
                store.store(out, storePassword().toCharArray());
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot write the key store " + file, e);
            }
        });
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(
            KeyPair subject, X500Name name, KeyPair issuer, X500Name issuerName, boolean authority)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                issuerName == null ? name : issuerName,
                new BigInteger(64, RANDOM),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(VALIDITY)),
                name,
                subject.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
        if (authority) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
            }));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")
            }));
        }
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static String pem(X509Certificate cert) throws GeneralSecurityException {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    private static String randomHex() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
