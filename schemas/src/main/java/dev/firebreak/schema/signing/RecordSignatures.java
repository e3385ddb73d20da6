package dev.firebreak.schema.signing;

import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;

/**
 * Signs and verifies {@link RevokeCommand}s (detection signs, the kill switch verifies) and
 * {@link RevocationResult}s (the kill switch and reinstate sign, reinstate verifies).
 *
 * <p><b>Signature</b>: {@code "v1." + base64url-without-padding(HMAC-SHA256(key, canonical(record)))},
 * carried in the record's {@code signature} field.
 *
 * <p><b>Canonical encoding v1</b> (independent of Avro schema resolution, so a reader with another
 * schema version computes the same bytes): the UTF-8 tag {@code firebreak.RevokeCommand.v1} or
 * {@code firebreak.RevocationResult.v1} encoded as a string, then every field except {@code signature},
 * in the order of {@link #COMMAND_FIELDS} / {@link #RESULT_FIELDS}, each encoded as (big-endian):
 * <ul>
 *   <li>string: int32 byte length, then its UTF-8 bytes; a null string is the int32 {@code -1}</li>
 *   <li>enum: its symbol name, as a string</li>
 *   <li>long: int64; int: int32; boolean: one byte, 0 or 1</li>
 *   <li>array: int32 element count, then each element</li>
 * </ul>
 * Field names are not encoded: the tag fixes the list. A field added to a schema must be added to
 * its list (a test fails until it is) together with a new tag version.
 *
 * <p><b>Manual commands</b> ({@code firebreak revoke}): {@code "m1." + base64url(HMAC-SHA256(operatorKey,
 * canonical))}, the canonical bytes being the tag {@code firebreak.RevokeCommand.manual.v1}, then the
 * fields of {@link #MANUAL_COMMAND_FIELDS} (the v1 fields, then {@code operator} and {@code reason}),
 * encoded as above. Another tag and another key: a detection signature never verifies as an
 * operator's, and the reverse. A v1 signature covers neither {@code operator} nor {@code reason}, so
 * a v1-signed command carrying either is {@link Verification#INVALID}: nobody can pass a detection
 * command off as a manual one, or the reverse, by setting or clearing them.
 *
 * <p>Verification recomputes the HMAC and compares in constant time ({@link MessageDigest#isEqual}).
 */
public final class RecordSignatures {
    /** Prefix of v1 signatures. */
    public static final String V1 = "v1.";
    /** Prefix of an operator's signature on a manual command. */
    public static final String MANUAL_V1 = "m1.";
    static final String COMMAND_TAG = "firebreak.RevokeCommand.v1";
    static final String MANUAL_COMMAND_TAG = "firebreak.RevokeCommand.manual.v1";
    static final String RESULT_TAG = "firebreak.RevocationResult.v1";
    /** The fields of a command the v1 encoding covers, in encoding order. */
    public static final List<String> COMMAND_FIELDS = List.of("command_id", "rule_id", "principal", "targets",
            "backend_pids", "window_start_us", "window_end_us", "trigger_event_id", "trigger_event_time_us",
            "issued_time_us", "dry_run", "deadline_time_us");
    /** The fields of a manual command the m1 encoding covers, in encoding order. */
    public static final List<String> MANUAL_COMMAND_FIELDS = java.util.stream.Stream.concat(COMMAND_FIELDS.stream(),
            java.util.stream.Stream.of("operator", "reason")).toList();
    /** The fields of a result the v1 encoding covers, in encoding order. */
    public static final List<String> RESULT_FIELDS = List.of("command_id", "rule_id", "principal", "target", "outcome",
            "detail", "terminated_pids", "window_start_us", "window_end_us", "trigger_event_time_us", "started_time_us",
            "completed_time_us", "action", "kind", "previous_state", "attempts", "operator", "reason");

    /** What checking a signature found. */
    public enum Verification {
        /** Signed with the expected key over exactly these field values. */
        VALID,
        /** No signature at all. */
        MISSING,
        /** A signature that is malformed, from another key, or over other field values. */
        INVALID;

        /** Why the record is not trusted, for logs and results; null when valid. */
        public String problem() {
            return switch (this) {
                case VALID -> null;
                case MISSING -> "signature missing";
                case INVALID -> "signature invalid (malformed, another key, or a field changed after signing)";
            };
        }
    }

    private RecordSignatures() {
    }

    /** A copy of {@code command} carrying its signature under {@code key}. */
    public static RevokeCommand sign(RevokeCommand command, SigningKey key) {
        return RevokeCommand.newBuilder(command).setSignature(signature(canonical(command), key)).build();
    }

    /** A copy of {@code result} carrying its signature under {@code key}. */
    public static RevocationResult sign(RevocationResult result, SigningKey key) {
        return RevocationResult.newBuilder(result).setSignature(signature(canonical(result), key)).build();
    }

    /** Checks detection's v1 signature; a command carrying an operator or a reason is not one of detection's. */
    public static Verification verify(RevokeCommand command, SigningKey key) {
        if (command.getOperator() != null || command.getReason() != null) {
            return missingOrInvalid(command.getSignature());
        }
        return verify(command.getSignature(), V1, canonical(command), key);
    }

    /**
     * A copy of {@code command} signed by an operator as a manual command.
     *
     * @throws IllegalArgumentException when the command has no operator or no reason
     */
    public static RevokeCommand signManual(RevokeCommand command, SigningKey operatorKey) {
        if (blank(command.getOperator()) || blank(command.getReason())) {
            throw new IllegalArgumentException("a manual revoke command needs an operator and a reason");
        }
        return RevokeCommand.newBuilder(command)
                .setSignature(MANUAL_V1 + encode(operatorKey.mac(canonicalManual(command)))).build();
    }

    /** Whether the command claims to be a manual one (an {@link #MANUAL_V1} signature); verify it with {@link #verifyManual}. */
    public static boolean isManual(RevokeCommand command) {
        return command.getSignature() != null && command.getSignature().startsWith(MANUAL_V1);
    }

    /** Checks an operator's m1 signature; a manual command without an operator or a reason is INVALID. */
    public static Verification verifyManual(RevokeCommand command, SigningKey operatorKey) {
        if (command.getSignature() == null || command.getSignature().isEmpty()) {
            return Verification.MISSING;
        }
        if (blank(command.getOperator()) || blank(command.getReason())) {
            return Verification.INVALID;
        }
        return verify(command.getSignature(), MANUAL_V1, canonicalManual(command), operatorKey);
    }

    /** The m1 canonical bytes of a manual command; its signature field is not part of them. */
    public static byte[] canonicalManual(RevokeCommand c) {
        Encoder e = new Encoder(MANUAL_COMMAND_TAG);
        v1Fields(e, c);
        e.string(c.getOperator()).string(c.getReason());
        return e.bytes();
    }

    private static Verification missingOrInvalid(String signature) {
        return signature == null || signature.isEmpty() ? Verification.MISSING : Verification.INVALID;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    public static Verification verify(RevocationResult result, SigningKey key) {
        return verify(result.getSignature(), V1, canonical(result), key);
    }

    /** The v1 canonical bytes of a command; its signature field is not part of them. */
    public static byte[] canonical(RevokeCommand c) {
        Encoder e = new Encoder(COMMAND_TAG);
        v1Fields(e, c);
        return e.bytes();
    }

    private static void v1Fields(Encoder e, RevokeCommand c) {
        e.string(c.getCommandId()).string(c.getRuleId()).string(c.getPrincipal()).strings(c.getTargets())
                .ints(c.getBackendPids()).int64(c.getWindowStartUs()).int64(c.getWindowEndUs())
                .string(c.getTriggerEventId()).int64(c.getTriggerEventTimeUs()).int64(c.getIssuedTimeUs())
                .bool(c.getDryRun()).int64(c.getDeadlineTimeUs());
    }

    /** The v1 canonical bytes of a result; its signature field is not part of them. */
    public static byte[] canonical(RevocationResult r) {
        Encoder e = new Encoder(RESULT_TAG);
        e.string(r.getCommandId()).string(r.getRuleId()).string(r.getPrincipal()).string(r.getTarget())
                .string(r.getOutcome() == null ? null : r.getOutcome().name()).string(r.getDetail())
                .ints(r.getTerminatedPids()).int64(r.getWindowStartUs()).int64(r.getWindowEndUs())
                .int64(r.getTriggerEventTimeUs()).int64(r.getStartedTimeUs()).int64(r.getCompletedTimeUs())
                .string(r.getAction() == null ? null : r.getAction().name()).string(r.getKind())
                .string(r.getPreviousState()).int32(r.getAttempts()).string(r.getOperator()).string(r.getReason());
        return e.bytes();
    }

    private static String signature(byte[] canonical, SigningKey key) {
        return V1 + encode(key.mac(canonical));
    }

    private static String encode(byte[] mac) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
    }

    private static Verification verify(String signature, String prefix, byte[] canonical, SigningKey key) {
        if (signature == null || signature.isEmpty()) {
            return Verification.MISSING;
        }
        if (!signature.startsWith(prefix)) {
            return Verification.INVALID;
        }
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(signature.substring(prefix.length()));
        } catch (IllegalArgumentException e) {
            return Verification.INVALID;
        }
        return MessageDigest.isEqual(key.mac(canonical), given) ? Verification.VALID : Verification.INVALID;
    }

    /** The length-prefixed, big-endian encoding described on the class. */
    private static final class Encoder {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        private final DataOutputStream out = new DataOutputStream(buffer);

        Encoder(String tag) {
            string(tag);
        }

        Encoder string(String s) {
            try {
                if (s == null) {
                    out.writeInt(-1);
                } else {
                    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                    out.writeInt(bytes.length);
                    out.write(bytes);
                }
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Encoder strings(List<String> values) {
            int32(values == null ? -1 : values.size());
            if (values != null) {
                values.forEach(this::string);
            }
            return this;
        }

        Encoder ints(List<Integer> values) {
            int32(values == null ? -1 : values.size());
            if (values != null) {
                values.forEach(this::int32);
            }
            return this;
        }

        Encoder int32(int v) {
            try {
                out.writeInt(v);
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Encoder int64(long v) {
            try {
                out.writeLong(v);
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Encoder bool(boolean v) {
            try {
                out.writeByte(v ? 1 : 0);
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] bytes() {
            return buffer.toByteArray();
        }
    }
}
