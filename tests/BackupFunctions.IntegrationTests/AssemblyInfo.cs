// The tests share one PostgreSQL server and check that no scratch database is left behind, so
// they run one at a time (on a 2-core machine parallel runs would not be faster anyway).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
