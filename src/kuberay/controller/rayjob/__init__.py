"""The RayJob controller's I/O: watches (wiring), the Ray dashboard's job API (dashboard), how
the operator reaches a head (resolver), and the actor that carries out `build.rayjob.plan` steps."""
