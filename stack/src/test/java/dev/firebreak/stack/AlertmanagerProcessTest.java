package dev.firebreak.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertmanagerProcessTest {
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void startsReadyAndLeavesNothingBehindWhenClosed(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("alertmanager.yml"), """
                route:
                  receiver: none
                receivers:
                  - name: none
                """);
        AlertmanagerProcess alertmanager = AlertmanagerProcess.start(config, Duration.ofSeconds(30));
        Path storage = alertmanager.directory();
        try {
            assertThat(alertmanager.url()).startsWith("http://127.0.0.1:");
            assertThat(get(alertmanager.url() + "/api/v2/status").statusCode()).isEqualTo(200);
            assertThat(get(alertmanager.url() + "/api/v2/status").body()).contains("\"cluster\"").contains("disabled");
        } finally {
            alertmanager.close();
        }
        assertThat(storage).doesNotExist();
        assertThatThrownBy(() -> get(alertmanager.url() + "/-/ready")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aMissingBinaryNamesTheDebianPackage() {
        assertThatThrownBy(() -> AlertmanagerProcess.binary("/nonexistent/alertmanager"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/nonexistent/alertmanager")
                .hasMessageContaining("Debian package prometheus-alertmanager")
                .hasMessageContaining(AlertmanagerProcess.BIN_ENV);
    }

    @Test
    void anInvalidConfigurationFailsWithAlertmanagersOwnWords(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("alertmanager.yml"), "route:\n  receiver: missing\n");
        assertThatThrownBy(() -> AlertmanagerProcess.start(config, Duration.ofSeconds(30)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Alertmanager exited")
                .hasMessageContaining("missing");
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
