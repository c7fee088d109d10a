package registry

import "time"

// ChangeKind says what happened to a member in a [Change].
type ChangeKind string

// The kinds of change.
const (
	// ChangeJoined: the instance registered and was not a member.
	ChangeJoined ChangeKind = "joined"
	// ChangeReplaced: a member registered again (with its own member
	// token): its address, labels or user-data hash may have changed.
	ChangeReplaced ChangeKind = "replaced"
	// ChangeLeft: the member was deregistered (by itself, its stop
	// hook, or an admin).
	ChangeLeft ChangeKind = "left"
	// ChangeEvicted: the member's lease expired ([Lease]).
	ChangeEvicted ChangeKind = "evicted"
	// ChangeReconciled: a reconcile removed the member (the cloud no
	// longer lists the instance).
	ChangeReconciled ChangeKind = "reconciled"
)

// Change is one change of a cluster's membership. Seq orders every
// change of the registry (all clusters): it is assigned in the Raft log's
// order, in the transaction that made the change, so two changes of one
// member are always seen in the order they happened.
type Change struct {
	Seq        uint64     `json:"seq"`
	Cluster    string     `json:"cluster"`
	InstanceID string     `json:"instance_id"`
	Kind       ChangeKind `json:"kind"`
	// At is the registry's clock when the change was committed.
	At time.Time `json:"at"`
	// Member is the member as it is when the answer is read (not as it
	// was at the change), for joined and replaced changes whose member
	// is still registered; nil otherwise.
	Member *Member `json:"member,omitempty"`
}

// ChangesResponse answers GET /v1/clusters/{cluster}/changes?after=N: the
// changes of the cluster with Seq > N, oldest first.
type ChangesResponse struct {
	Cluster string   `json:"cluster"`
	Changes []Change `json:"changes"`
	// Index is where to continue: pass it as after in the next request.
	// It is at least the last change's Seq, and may be higher (the
	// registry's index when the answer was read; changes of other
	// clusters move it).
	Index uint64 `json:"index"`
	// More is true when the answer was cut at its size limit: ask again
	// at once with after=Index.
	More bool `json:"more,omitempty"`
}
