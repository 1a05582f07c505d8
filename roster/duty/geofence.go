package duty

import "math"

// earthRadius is the mean radius of the Earth in metres.
const earthRadius = 6371008.8

// Distance is the great-circle (haversine) distance in metres from the
// geofence's point to lat, lng (degrees). WeCom reports GCJ-02 coordinates;
// the geofence point is to be given in the same system (picked in WeCom or
// a Chinese map), and within a few kilometres both points shift alike.
func (g Geofence) Distance(lat, lng float64) float64 {
	return Haversine(g.Latitude, g.Longitude, lat, lng)
}

// Contains reports whether lat, lng is inside the geofence.
func (g Geofence) Contains(lat, lng float64) bool { return g.Distance(lat, lng) <= g.RadiusMeters }

// Haversine is the great-circle distance in metres between two points given
// in degrees.
func Haversine(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}
