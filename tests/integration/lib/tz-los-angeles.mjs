// tests/integration/lib/tz-los-angeles.mjs - imported first by a test file
// to run it in a non-UTC time zone: a date the server sent without a zone
// would then be read by the SDKs as Los Angeles local time and be off by
// hours, so equality with the stored instants proves every date carries Z.
process.env.TZ = 'America/Los_Angeles';
if (new Date('2024-01-15T12:00:00').getTimezoneOffset() !== 480) {
  throw new Error('TZ=America/Los_Angeles did not take effect');
}
