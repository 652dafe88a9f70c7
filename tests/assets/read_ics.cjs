// Reads a calendar file with Mozilla's ical.js and prints what a calendar client sees, as
// JSON: each event's UID, SEQUENCE, STATUS, summary, location, description, and its start
// and end both as the local wall-clock time and as UTC (through the file's VTIMEZONE).
"use strict";
const fs = require("fs");
const ICAL = require("./ical.min.cjs");

const text = fs.readFileSync(process.argv[2], "utf8");
const root = new ICAL.Component(ICAL.parse(text));
for (const vtz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
}
const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const when = (t) => ({
    local: t.toString(),
    tzid: t.zone ? t.zone.tzid : null,
    utc: t.convertToZone(ICAL.Timezone.utcTimezone).toString(),
  });
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    summary: event.summary,
    location: event.location,
    description: event.description,
    start: when(event.startDate),
    end: when(event.endDate),
  };
});
process.stdout.write(JSON.stringify({
  method: root.getFirstPropertyValue("method"),
  timezones: root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
  events,
}));
