package dev.firebreak.schema.serde;

import org.apache.avro.specific.SpecificFixed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Lets Avro load Firebreak's own generated classes. Since 1.12.2 Avro loads a class named by a
 * schema only if it is trusted (java.lang and a few others by default, more via the system
 * properties {@code org.apache.avro.SERIALIZABLE_PACKAGES}/{@code _CLASSES}); without this every
 * {@code SpecificDatumWriter}/{@code SpecificDatumReader} for our records fails with
 * {@code SecurityException: Forbidden dev.firebreak.schema.AuditEvent}. Installing it in code, from
 * the serdes, means no JVM of ours depends on a {@code -D} flag someone could forget.
 *
 * <p>Trust is as narrow as it can be: generated records, enums and fixed types in exactly
 * {@value #PACKAGE}, nothing in sub-packages and no other class of the package. Whatever the global
 * validator already trusts (the defaults, the system properties) stays trusted.
 */
public final class GeneratedClassTrust {
    /** The namespace of every schema in {@code schemas/src/main/avro}. */
    public static final String PACKAGE = "dev.firebreak.schema";

    private static final ClassSecurityPredicate GENERATED = GeneratedClassTrust::isGenerated;
    private static ClassSecurityPredicate installed;

    private GeneratedClassTrust() {
    }

    /**
     * Adds our generated classes to Avro's global validator, once; again if something has since
     * replaced the global validator (Avro keeps one per JVM).
     */
    public static synchronized void ensureInstalled() {
        ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        if (current != installed) {
            installed = ClassSecurityValidator.composite(current, GENERATED);
            ClassSecurityValidator.setGlobal(installed);
        }
    }

    /** True for a generated Avro type of {@value #PACKAGE}; what {@link #ensureInstalled} adds. */
    static boolean isGenerated(Class<?> type) {
        return PACKAGE.equals(type.getPackageName())
                && (SpecificRecord.class.isAssignableFrom(type) || type.isEnum() || SpecificFixed.class.isAssignableFrom(type));
    }
}
