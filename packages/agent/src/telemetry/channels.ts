import diagnosticsChannel from "node:diagnostics_channel";

/**
 * Every security event is published here before any exporter sees it. Exporters (the event log,
 * and any subscriber of the app) subscribe to the channel, so the guard knows none of them.
 */
export const securityEventChannel = diagnosticsChannel.channel("rampart:security-event");
