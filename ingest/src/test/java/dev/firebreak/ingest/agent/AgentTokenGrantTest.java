package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AgentTokenGrantTest {
    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "*, anything, true",
            "cleanup-bot, cleanup-bot, true",
            "cleanup-bot, cleanup-bot2, false",
            "cleanup-bot, xcleanup-bot, false",
            "deploy-*, deploy-eu, true",
            "deploy-*, deploy-, true",
            "deploy-*, deployer, false",
            "*-bot, cleanup-bot, true",
            "*-bot, cleanup-bot-x, false",
            "a*b*c, axxbyyc, true",
            "a*b*c, axxbyy, false",
            "ns:*, ns:agent, true",
            "ns:*, other:agent, false",
            "Bot, bot, false"})
    void globs(String glob, String agent, boolean expected) {
        assertThat(AgentTokenGrant.matches(glob, agent)).isEqualTo(expected);
    }

    @Test
    void parseSplitsAtTheFirstColon() {
        AgentTokenGrant g = AgentTokenGrant.parse(" tok-0123456789abcdef : cleanup-bot | ns:deploy-* ");
        assertThat(g.token()).isEqualTo("tok-0123456789abcdef");
        assertThat(g.agents()).containsExactly("cleanup-bot", "ns:deploy-*");
        assertThat(g.mayActFor("ns:deploy-1")).isTrue();
        assertThat(g.mayActFor("deploy-1")).isFalse();
        assertThat(g.mayActFor("cleanup-bot")).isTrue();
        assertThat(g.toString()).doesNotContain("tok-");
    }

    @Test
    void entriesWithoutAgentsAreRefusedWithoutShowingTheToken() {
        assertThatThrownBy(() -> AgentTokenGrant.parse("tok-0123456789abcdef"))
                .hasMessageContaining("no agent list").hasMessageNotContaining("tok-");
        assertThatThrownBy(() -> AgentTokenGrant.parse("tok-0123456789abcdef:||"))
                .hasMessageContaining("empty agent list").hasMessageNotContaining("tok-");
        assertThatThrownBy(() -> AgentTokenGrant.parse("tok-0123456789abcdef:bad?glob"))
                .hasMessageContaining("agent pattern").hasMessageNotContaining("tok-");
    }
}
