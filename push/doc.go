// Package push will reach leaders' phones through APNs and FCM and run the
// escalation engine (device registry, durable timers, acknowledgements).
// It is built by the push-and-escalation issue; nothing uses it yet.
package push
