package dev.firebreak.schema.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.signing.RecordSignatures.Verification;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

class RecordSignaturesTest {
    static final SigningKey KEY = SigningKey.of("test-command-secret-0123456789abcdef");
    static final SigningKey OTHER = SigningKey.of("another-secret-0123456789abcdef-xyz");

    static RevokeCommand command() {
        return RevokeCommand.newBuilder().setCommandId("rule/pg:main/alice/e1").setRuleId("rule").setPrincipal("pg:main/alice")
                .setTargets(List.of("pg:main/alice", "token:paas/t1")).setBackendPids(List.of(41, 42))
                .setWindowStartUs(1_000).setWindowEndUs(2_000).setTriggerEventId("e3").setTriggerEventTimeUs(2_000)
                .setIssuedTimeUs(2_100).setDryRun(false).setDeadlineTimeUs(0).build();
    }

    static RevocationResult result() {
        return RevocationResult.newBuilder().setCommandId("c").setRuleId("rule").setPrincipal("pg:main/alice")
                .setTarget("pg:main/alice").setOutcome(RevocationOutcome.REVOKED).setDetail("locked")
                .setTerminatedPids(List.of(7)).setWindowStartUs(1).setWindowEndUs(2).setTriggerEventTimeUs(2)
                .setStartedTimeUs(3).setCompletedTimeUs(4).setAction(RevocationAction.REVOKE).setKind("postgres")
                .setPreviousState("{\"login\": true}").setAttempts(1).setOperator(null).setReason(null).build();
    }

    @Test
    void signedCommandVerifies() {
        RevokeCommand signed = RecordSignatures.sign(command(), KEY);
        assertThat(signed.getSignature()).startsWith("v1.");
        assertThat(RecordSignatures.verify(signed, KEY)).isEqualTo(Verification.VALID);
        assertThat(RecordSignatures.canonical(signed)).isEqualTo(RecordSignatures.canonical(command()));
    }

    @Test
    void missingWrongKeyAndMalformedSignaturesFail() {
        assertThat(RecordSignatures.verify(command(), KEY)).isEqualTo(Verification.MISSING);
        RevokeCommand signed = RecordSignatures.sign(command(), KEY);
        assertThat(RecordSignatures.verify(signed, OTHER)).isEqualTo(Verification.INVALID);
        for (String bad : List.of("v1.", "v1.!!!", "v2." + signed.getSignature().substring(3), "garbage",
                signed.getSignature().substring(0, signed.getSignature().length() - 2))) {
            RevokeCommand forged = RevokeCommand.newBuilder(signed).setSignature(bad).build();
            assertThat(RecordSignatures.verify(forged, KEY)).as(bad).isEqualTo(Verification.INVALID);
        }
    }

    @Test
    void everyCommandFieldIsCoveredAndTamperingAnyFails() {
        assertThat(coveredFields(RevokeCommand.getClassSchema())).containsExactlyElementsOf(RecordSignatures.MANUAL_COMMAND_FIELDS);
        assertThat(RecordSignatures.MANUAL_COMMAND_FIELDS).startsWith(RecordSignatures.COMMAND_FIELDS.toArray(String[]::new))
                .endsWith("operator", "reason");
        RevokeCommand signed = RecordSignatures.sign(command(), KEY);
        // operator and reason are outside the v1 encoding: setting either on a detection command is tampering too
        for (Schema.Field field : RevokeCommand.getClassSchema().getFields()) {
            if (field.name().equals("signature")) {
                continue;
            }
            RevokeCommand tampered = RevokeCommand.newBuilder(signed).build();
            tamper(tampered, field);
            assertThat(RecordSignatures.verify(tampered, KEY)).as("tampered %s", field.name()).isEqualTo(Verification.INVALID);
        }
    }

    static RevokeCommand manual() {
        return RevokeCommand.newBuilder(command()).setCommandId("manual/1").setRuleId("manual").setOperator("alice")
                .setReason("INC-42: token leaked").build();
    }

    @Test
    void aManualCommandVerifiesOnlyUnderTheOperatorKeyAndEveryFieldIsCovered() {
        RevokeCommand signed = RecordSignatures.signManual(manual(), OTHER);
        assertThat(signed.getSignature()).startsWith("m1.");
        assertThat(RecordSignatures.isManual(signed)).isTrue();
        assertThat(RecordSignatures.verifyManual(signed, OTHER)).isEqualTo(Verification.VALID);
        assertThat(RecordSignatures.verifyManual(signed, KEY)).as("detection's key").isEqualTo(Verification.INVALID);
        assertThat(RecordSignatures.verify(signed, OTHER)).as("not a detection signature").isEqualTo(Verification.INVALID);
        for (Schema.Field field : RevokeCommand.getClassSchema().getFields()) {
            if (field.name().equals("signature")) {
                continue;
            }
            RevokeCommand tampered = RevokeCommand.newBuilder(signed).build();
            tamper(tampered, field);
            assertThat(RecordSignatures.verifyManual(tampered, OTHER)).as("tampered %s", field.name())
                    .isEqualTo(Verification.INVALID);
        }
    }

    @Test
    void neitherSignatureCanBePassedOffAsTheOther() {
        // a detection command re-labelled m1 with its v1 MAC, under the same key: other tag, so invalid
        RevokeCommand detection = RecordSignatures.sign(command(), KEY);
        RevokeCommand relabelled = RevokeCommand.newBuilder(detection).setOperator("mallory").setReason("r")
                .setSignature("m1." + detection.getSignature().substring(3)).build();
        assertThat(RecordSignatures.verifyManual(relabelled, KEY)).isEqualTo(Verification.INVALID);
        // a manual command stripped of operator and reason and re-labelled v1
        RevokeCommand manual = RecordSignatures.signManual(manual(), KEY);
        RevokeCommand stripped = RevokeCommand.newBuilder(manual).setOperator(null).setReason(null)
                .setSignature("v1." + manual.getSignature().substring(3)).build();
        assertThat(RecordSignatures.verify(stripped, KEY)).isEqualTo(Verification.INVALID);
        // unsigned, or signed without an operator or a reason
        assertThat(RecordSignatures.verifyManual(manual(), KEY)).isEqualTo(Verification.MISSING);
        assertThatThrownBy(() -> RecordSignatures.signManual(RevokeCommand.newBuilder(manual()).setReason(" ").build(), KEY))
                .hasMessageContaining("operator and a reason");
    }

    @Test
    void everyResultFieldIsCoveredAndTamperingAnyFails() {
        assertThat(coveredFields(RevocationResult.getClassSchema())).containsExactlyElementsOf(RecordSignatures.RESULT_FIELDS);
        RevocationResult signed = RecordSignatures.sign(result(), KEY);
        assertThat(RecordSignatures.verify(signed, KEY)).isEqualTo(Verification.VALID);
        assertThat(RecordSignatures.verify(signed, OTHER)).isEqualTo(Verification.INVALID);
        assertThat(RecordSignatures.verify(result(), KEY)).isEqualTo(Verification.MISSING);
        for (Schema.Field field : RevocationResult.getClassSchema().getFields()) {
            if (field.name().equals("signature")) {
                continue;
            }
            RevocationResult tampered = RevocationResult.newBuilder(signed).build();
            tamper(tampered, field);
            assertThat(RecordSignatures.verify(tampered, KEY)).as("tampered %s", field.name()).isEqualTo(Verification.INVALID);
        }
    }

    @Test
    void nullAndEmptyStringsAndSplitListsEncodeDifferently() {
        RevocationResult withNull = result();
        RevocationResult withEmpty = RevocationResult.newBuilder(result()).setPreviousState("").build();
        assertThat(RecordSignatures.canonical(withNull)).isNotEqualTo(RecordSignatures.canonical(
                RevocationResult.newBuilder(result()).setPreviousState(null).build()));
        assertThat(RecordSignatures.canonical(withEmpty)).isNotEqualTo(RecordSignatures.canonical(
                RevocationResult.newBuilder(result()).setPreviousState(null).build()));
        RevokeCommand ab = RevokeCommand.newBuilder(command()).setTargets(List.of("ab")).build();
        RevokeCommand aAndB = RevokeCommand.newBuilder(command()).setTargets(List.of("a", "b")).build();
        assertThat(RecordSignatures.canonical(ab)).isNotEqualTo(RecordSignatures.canonical(aAndB));
    }

    @Test
    void canonicalEncodingIsTheDocumentedOne() {
        RevokeCommand c = RevokeCommand.newBuilder().setCommandId("c").setRuleId("r").setPrincipal("p")
                .setTargets(List.of("t")).setBackendPids(List.of(5)).setWindowStartUs(1).setWindowEndUs(2)
                .setTriggerEventId("e").setTriggerEventTimeUs(3).setIssuedTimeUs(4).setDryRun(true).setDeadlineTimeUs(6).build();
        String tag = HexFormat.of().formatHex("firebreak.RevokeCommand.v1".getBytes());
        String expected = "0000001a" + tag
                + "00000001" + "63" + "00000001" + "72" + "00000001" + "70"
                + "00000001" + "00000001" + "74" + "00000001" + "00000005"
                + "0000000000000001" + "0000000000000002" + "00000001" + "65" + "0000000000000003"
                + "0000000000000004" + "01" + "0000000000000006";
        assertThat(HexFormat.of().formatHex(RecordSignatures.canonical(c))).isEqualTo(expected);
    }

    @Test
    void keysComeFromConfigOrEnvironmentAndAreNeverPrinted() {
        String secret = "s3cret-s3cret-s3cret-s3cret-s3cret";
        SigningKey literal = SigningKey.fromConfig(Map.of("k", secret), "k").orElseThrow();
        SigningKey env = SigningKey.fromConfig(Map.of("k.env", "FB_KEY"), "k", n -> n.equals("FB_KEY") ? secret : null)
                .orElseThrow();
        RevokeCommand signed = RecordSignatures.sign(command(), literal);
        assertThat(RecordSignatures.verify(signed, env)).isEqualTo(Verification.VALID);
        assertThat(literal.toString()).doesNotContain(secret).contains("k");
        assertThat(env.toString()).doesNotContain(secret).contains("FB_KEY");
        assertThat(SigningKey.fromConfig(Map.of(), "k")).isEmpty();
        assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("k", secret, "k.env", "X"), "k"))
                .hasMessageContaining("only one of k and k.env");
        assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("k.env", "FB_UNSET"), "k", n -> null))
                .hasMessageContaining("FB_UNSET").hasMessageContaining("not set");
        assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("k", "short"), "k"))
                .hasMessageContaining("at least 32").hasMessageNotContaining("short,");
    }

    private static List<String> coveredFields(Schema schema) {
        List<String> names = new ArrayList<>();
        schema.getFields().forEach(f -> names.add(f.name()));
        names.remove("signature");
        return names;
    }

    /** Changes one field to another valid value of its type. */
    private static void tamper(SpecificRecordBase record, Schema.Field field) {
        Object value = record.get(field.pos());
        Schema type = field.schema();
        if (type.getType() == Schema.Type.UNION) {
            record.put(field.pos(), value == null ? "x" : null);
            return;
        }
        Object changed = switch (type.getType()) {
            case STRING -> value + "x";
            case LONG -> (Long) value + 1;
            case INT -> (Integer) value + 1;
            case BOOLEAN -> !(Boolean) value;
            case ARRAY -> {
                List<Object> list = new ArrayList<>((List<?>) value);
                list.add(type.getElementType().getType() == Schema.Type.INT ? (Object) 99 : "extra");
                yield list;
            }
            case ENUM -> {
                Class<?> enumClass = value.getClass();
                Object[] symbols = enumClass.getEnumConstants();
                yield symbols[(((Enum<?>) value).ordinal() + 1) % symbols.length];
            }
            default -> throw new AssertionError("no tamper for " + field.name() + " " + type);
        };
        record.put(field.pos(), changed);
    }
}
