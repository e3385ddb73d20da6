package dev.firebreak.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Topics;
import java.util.List;
import java.util.Map;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Avro 1.12.2 refuses classes it does not trust: the serdes must trust ours without a -D flag. */
class GeneratedClassTrustTest {
    private ClassSecurityPredicate before;

    @BeforeEach
    void avroAsAFreshJvmHasIt() {
        before = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.DEFAULT);
    }

    @AfterEach
    void restore() {
        ClassSecurityValidator.setGlobal(before);
    }

    @Test
    void theRealSerdeRoundTripsWithoutTheSystemProperty() {
        assertThat(System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES")).isNull();
        assertThat(System.getProperty("org.apache.avro.SERIALIZABLE_CLASSES")).isNull();
        // what a JVM without our serdes sees: Avro's own default refuses the generated class
        assertThatThrownBy(() -> ClassSecurityValidator.validate(AuditEvent.class)).isInstanceOf(SecurityException.class);

        var serde = RegistryAvroSerde.forValue(AuditEvent.class, "mem://generated-class-trust");
        AuditEvent event = event();
        byte[] framed = serde.serializer().serialize(Topics.AUDIT_EVENTS, event);

        AuditEvent read = serde.deserializer().deserialize(Topics.AUDIT_EVENTS, framed);
        assertThat(read).isEqualTo(event);
        assertThat(read.getObjects().get(0)).isInstanceOf(AffectedObject.class);
        assertThat(read.getSource()).isSameAs(AuditSource.POSTGRES_EVENT_TRIGGER);
    }

    @Test
    void trustsOnlyTheGeneratedTypesOfOurPackage() {
        GeneratedClassTrust.ensureInstalled();

        assertThatCode(() -> ClassSecurityValidator.validate(AuditEvent.class)).doesNotThrowAnyException();
        assertThatCode(() -> ClassSecurityValidator.validate(AuditSource.class)).doesNotThrowAnyException();
        // same package, not generated; a sub-package; another package
        assertThatThrownBy(() -> ClassSecurityValidator.validate(Topics.class)).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> ClassSecurityValidator.validate(GeneratedClassTrust.class)).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> ClassSecurityValidator.validate(java.net.URL.class)).isInstanceOf(SecurityException.class);
    }

    @Test
    void keepsWhatTheGlobalValidatorAlreadyTrustedAndSurvivesBeingReplaced() {
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.DEFAULT, ClassSecurityValidator.builder().add(java.net.URL.class).build()));
        GeneratedClassTrust.ensureInstalled();
        GeneratedClassTrust.ensureInstalled();
        assertThatCode(() -> ClassSecurityValidator.validate(java.net.URL.class)).doesNotThrowAnyException();
        assertThatCode(() -> ClassSecurityValidator.validate(AuditEvent.class)).doesNotThrowAnyException();

        // someone else replaces the global validator: the next serde puts our trust back
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.DEFAULT);
        assertThatThrownBy(() -> ClassSecurityValidator.validate(AuditEvent.class)).isInstanceOf(SecurityException.class);
        RegistryAvroSerde.forValue(AuditEvent.class, "mem://generated-class-trust-2");
        assertThatCode(() -> ClassSecurityValidator.validate(AuditEvent.class)).doesNotThrowAnyException();
    }

    private static AuditEvent event() {
        return AuditEvent.newBuilder()
                .setEventId("pg:main/16B3A40")
                .setPrincipal("pg:main/agent")
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction("DROP TABLE")
                .setEventTimeUs(1_795_000_000_000_000L)
                .setCapturedTimeUs(1_795_000_000_002_000L)
                .setCluster("main")
                .setSessionUser("agent")
                .setStatement("DROP TABLE public.orders")
                .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setSchemaName("public")
                        .setObjectName("orders").setIdentity("public.orders").setOriginal(true).build()))
                .setAttributes(Map.of("trigger", "sql_drop"))
                .build();
    }
}
