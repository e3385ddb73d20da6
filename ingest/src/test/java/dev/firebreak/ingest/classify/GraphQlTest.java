package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GraphQlTest {

    @Test
    void topLevelMutationFieldsAreFoundNotAliasesArgumentsOrSubfields() {
        GraphQl g = GraphQl.of("{\"query\":\"mutation M($id: ID!) { gone: volumeDelete(volumeId: $id, opts: {deleteAll: true}) "
                + "{ deletedAt } other: projectUpdate(id: 1) @include(if: true) { id } }\"}");
        assertThat(g.present()).isTrue();
        assertThat(g.mutationFields()).containsExactly("volumeDelete", "projectUpdate");
    }

    @Test
    void queriesHaveNoMutationFields() {
        GraphQl g = GraphQl.of("query { deleteRequests { id } } { volumeDelete }");
        assertThat(g.present()).isTrue();
        assertThat(g.mutationFields()).isEmpty();
    }

    @Test
    void stringsAndCommentsAreNotFields() {
        GraphQl g = GraphQl.of("mutation {\n # volumeDelete\n log(msg: \"volumeDelete\", note: \"\"\"projectDelete\"\"\") }");
        assertThat(g.mutationFields()).containsExactly("log");
    }

    @Test
    void fragmentsOnMutationCount() {
        GraphQl g = GraphQl.of("fragment F on Mutation { serviceDelete(id: 1) } mutation { ...F }");
        assertThat(g.mutationFields()).containsExactly("serviceDelete");
    }

    @Test
    void batchesFormBodiesAndMangledJsonAreRead() {
        assertThat(GraphQl.of("[{\"query\":\"query { a }\"},{\"query\":\"mutation { b }\"}]").mutationFields()).containsExactly("b");
        assertThat(GraphQl.of("query=mutation%20%7B%20volumeDelete(id%3A%201)%20%7D").mutationFields()).containsExactly("volumeDelete");
        assertThat(GraphQl.of("{\"query\":\"mutation { volumeDelete(volumeId: \\\"x\\\") }\"").mutationFields())
                .containsExactly("volumeDelete");
    }

    @Test
    void nonGraphqlBodiesAreNotGraphql() {
        assertThat(GraphQl.of("{\"name\":\"delete me\"}").present()).isFalse();
        assertThat(GraphQl.of("Action=DeleteDBInstance").present()).isFalse();
        assertThat(GraphQl.of(null).present()).isFalse();
    }
}
