package dev.firebreak.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One shared client per registry address, until that registry is forgotten. */
class SchemaRegistriesTest {

    @Test
    void aForgottenRegistryGetsAFreshClientWithNoCachedIds() {
        String url = "http://127.0.0.1:1/apis/ccompat/v7";
        SchemaRegistryClient first = SchemaRegistries.forUrl(url);
        assertThat(SchemaRegistries.forUrl(url)).as("shared per URL").isSameAs(first);
        SchemaRegistries.forget(url);
        assertThat(SchemaRegistries.forUrl(url)).as("a registry started later at this address").isNotSameAs(first);
        SchemaRegistries.forget(url);
    }
}
