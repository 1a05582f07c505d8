// Package push reaches leaders' phones: the device registry, the APNs and
// FCM senders, and (with the escalation engine) durable timers that keep
// notifying until someone acknowledges. push knows nothing of HTTP routing
// or WeCom.
package push

import (
	"context"
	"time"
)

// Platform is the kind of phone a device is.
type Platform string

// Platforms.
const (
	IOS     Platform = "ios"
	Android Platform = "android"
)

// Device is a phone a member paired with dutybot.
type Device struct {
	ID       int64
	UserID   string
	Platform Platform
	// Token is the APNs device token (hex) or the FCM registration token.
	Token string
	// Topic is the iOS app's bundle id (the apns-topic); for Android the
	// app id, kept for the record.
	Topic string
	// Added is when the phone was paired; LastSeen when it last called the
	// API with its credential (both zero when not read from the store).
	Added, LastSeen time.Time
}

// Urgency is how loudly the phone alerts.
type Urgency string

// Urgencies. Critical alerts break through Do Not Disturb and silent mode
// (iOS needs Apple's critical-alert entitlement; Android uses the alarm
// channel); time-sensitive ones break through Focus.
const (
	Critical      Urgency = "critical"
	TimeSensitive Urgency = "time-sensitive"
)

// Notification is one alert to one device about one escalation step.
type Notification struct {
	Device Device
	// EscalationID identifies the escalation; it is also the collapse id
	// (a newer step replaces the older alert) and the thread id.
	EscalationID string
	Title, Body  string
	Urgency      Urgency
	// AckToken is the signed token the app posts back to acknowledge;
	// AckURL the one-tap link that shows a confirm page.
	AckToken string
	AckURL   string
	// Expiration is when the provider may stop trying to deliver.
	Expiration time.Time
}

// Status is the outcome of sending one notification.
type Status string

// Statuses.
const (
	// Delivered means the provider accepted the notification.
	Delivered Status = "delivered"
	// Invalid means the provider says the device token is no longer valid
	// (APNs 410 Unregistered / 400 BadDeviceToken, FCM UNREGISTERED): the
	// device must be pruned and its member told.
	Invalid Status = "invalid"
	// Failed means it was not delivered after the retries allowed.
	Failed Status = "failed"
)

// Result is what happened to one notification.
type Result struct {
	Status Status
	// ProviderID is the apns-id or the FCM message name.
	ProviderID string
	// Reason is the provider's reason on failure, e.g. "Unregistered".
	Reason   string
	Err      error
	Attempts int
	// Latency is from the first attempt to the final answer.
	Latency time.Duration
}

// Sender delivers notifications through one provider. Results are in the
// order of ns. Transient failures (HTTP 429 and 5xx, network errors) are
// retried with backoff on the sender's clock before a result is returned.
type Sender interface {
	Send(ctx context.Context, ns []Notification) []Result
}
