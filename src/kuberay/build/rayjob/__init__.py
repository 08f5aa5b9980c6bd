"""Pure pieces of the RayJob controller: names, the objects it creates (RayCluster, submitter Job,
head Service), the dashboard job request, and the state machine step (`plan.step`)."""
