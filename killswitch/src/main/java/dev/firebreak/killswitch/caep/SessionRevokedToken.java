package dev.firebreak.killswitch.caep;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.firebreak.schema.RevocationResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the signed Security Event Token (RFC 8417) announcing that the kill switch revoked one
 * credential: a CAEP 1.0 {@code session-revoked} event whose subject is the credential as an RFC 9493
 * {@code opaque} subject identifier (Firebreak's principal id, e.g. {@code pg:main/deployer_rw}).
 *
 * <p>Claims: {@code iss}, {@code aud} (the receiver), {@code iat}, {@code jti} (stable per command,
 * target and receiver, so a receiver recognises a repeated push), {@code txn} (the command id, shared by
 * every SET of one command), {@code sub_id}, {@code events}. Header: {@code typ: secevent+jwt}, and
 * {@code kid} when configured. No {@code exp}: RFC 8417 SETs describe a past fact and do not expire.
 */
public final class SessionRevokedToken {
    /** The CAEP 1.0 event type URI. */
    public static final String EVENT_TYPE = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    /** The media type of a SET (RFC 8417) and the {@code typ} header without its {@code application/} prefix. */
    public static final String MEDIA_TYPE = "application/secevent+jwt";

    private final SecurityEventConfig config;
    private final JWSSigner signer;
    private final JWSAlgorithm algorithm;

    public SessionRevokedToken(SecurityEventConfig config) {
        this.config = config;
        try {
            if (config.key() instanceof ECPrivateKey ec) {
                this.signer = new ECDSASigner(ec);
                this.algorithm = JWSAlgorithm.ES256;
            } else {
                this.signer = new RSASSASigner(config.key());
                this.algorithm = JWSAlgorithm.RS256;
            }
        } catch (JOSEException e) {
            throw new IllegalArgumentException("invalid kill switch CAEP configuration: the signing key is not usable: "
                    + e.getMessage());
        }
    }

    /** The compact serialisation of the SET for {@code result} (a REVOKED outcome) addressed to {@code receiver}. */
    public String build(RevocationResult result, SecurityEventConfig.Receiver receiver, Instant now) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event_timestamp", result.getCompletedTimeUs() / 1_000_000L);
        // The kill switch acts on a detection rule, not on an admin's or the user's request.
        event.put("initiating_entity", "policy");
        event.put("reason_admin", Map.of("en", reason(result)));
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(config.issuer())
                .audience(receiver.audience())
                .issueTime(Date.from(now))
                .jwtID(jti(result, receiver))
                .claim("txn", result.getCommandId())
                .claim("sub_id", Map.of("format", "opaque", "id", result.getTarget()))
                .claim("events", Map.of(EVENT_TYPE, event))
                .build();
        JWSHeader.Builder header = new JWSHeader.Builder(algorithm).type(new JOSEObjectType("secevent+jwt"));
        if (config.keyId() != null) {
            header.keyID(config.keyId());
        }
        SignedJWT jwt = new SignedJWT(header.build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the security event token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    private static String reason(RevocationResult result) {
        String rule = result.getRuleId() == null ? "manual" : result.getRuleId();
        return "Firebreak revoked " + result.getTarget() + " (principal " + result.getPrincipal() + ") under rule "
                + rule + ", command " + result.getCommandId();
    }

    private static String jti(RevocationResult result, SecurityEventConfig.Receiver receiver) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((result.getCommandId() + "\n" + result.getTarget()
                    + "\n" + receiver.name()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
