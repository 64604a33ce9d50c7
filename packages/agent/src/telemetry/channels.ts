import diagnosticsChannel from "node:diagnostics_channel";

/**
 * Every security event is published here before any exporter receives it. Exporters (the event log,
 * and any subscriber of the app) subscribe to the channel, so the guard depends on none of them.
 */
export const securityEventChannel = diagnosticsChannel.channel("rampart:security-event");
