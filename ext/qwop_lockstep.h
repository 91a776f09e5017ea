// qwop_lockstep.h -- the runner islands of several worlds solved side by side.
//
// Why: a world's solver is a chain of dependent arithmetic (each joint solve
// reads what the one before wrote), so one world leaves most of a core idle.
// The worlds of a batch are independent and solve the same joints in the
// same order, so their joint phases (the solver's hot part: the point and
// limit corrections and the sin/cos of every corrected angle) run here as
// 4-lane vectors, one world per lane. Each lane does exactly the operations,
// in exactly the order, of World::SolveIsland for its world, so the results
// are the same bits as solving each world alone: lanes only share
// instructions. Contacts, which differ from world to world, stay scalar and
// run between the vector joint passes in each world's own order.
#ifndef QWOP_LOCKSTEP_H
#define QWOP_LOCKSTEP_H

#include "qwop_physics.h"

namespace qwop {
namespace physics {

constexpr int kLanes = 4;

// Solves every island of n (<= kLanes) worlds whose BeginStep returned true:
// in each world the island with the most joints (the runner) side by side
// with the other worlds', the rest one by one. The caller then runs EndStep.
void SolveLockstep(World* const* worlds, int n);
// Whether this CPU runs SolveLockstep (it needs AVX2); without it solve each
// world alone (World::Step), which gives the same bits.
bool LockstepAvailable();

}  // namespace physics
}  // namespace qwop

#endif  // QWOP_LOCKSTEP_H
