package dev.firebreak.schema.serde;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

final class SpecificRecords {
    private SpecificRecords() {
    }

    /** The record's schema; every serde comes through here, so Avro trusts our classes first. */
    static Schema schemaOf(Class<? extends SpecificRecord> type) {
        GeneratedClassTrust.ensureInstalled();
        Schema schema = SpecificData.get().getSchema(type);
        if (schema == null || schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(type.getName() + " is not a generated Avro record class");
        }
        return schema;
    }
}
