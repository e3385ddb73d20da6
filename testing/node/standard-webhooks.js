// Cross-checks Firebreak's Standard Webhooks signatures with the specification's reference
// JavaScript library (npm "standardwebhooks", pinned in package.json).
// Reads one JSON object from stdin: {"mode":"verify"|"sign","secret":"whsec_...","headers":{...},
// "body_base64":"...","id":"...","timestamp":<epoch seconds>}.
// verify: prints VALID and exits 0, or prints INVALID <reason> and exits 1.
// sign:   prints the webhook-signature header value the library computes.
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const req = JSON.parse(input);
  const body = Buffer.from(req.body_base64, "base64");
  const wh = new Webhook(req.secret);
  if (req.mode === "sign") {
    process.stdout.write(wh.sign(req.id, new Date(req.timestamp * 1000), body));
    return;
  }
  try {
    wh.verify(body, req.headers, { jsonParse: false });
    process.stdout.write("VALID");
  } catch (e) {
    process.stdout.write("INVALID " + e.message);
    process.exitCode = 1;
  }
});
