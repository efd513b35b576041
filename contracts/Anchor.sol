// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

/// @title RenderTrust ledger anchor
/// @notice Stores the Merkle root of each sealed batch of RenderTrust ledger entries, once.
/// Anyone can read a batch's root with rootOf(batchId) and recompute it from the entries.
contract Anchor {
    /// The only account allowed to anchor: the deployer (the control plane's anchoring key).
    address public immutable owner;

    mapping(uint256 => bytes32) private roots;

    event Anchored(uint256 indexed batchId, bytes32 root);

    error NotOwner();
    error EmptyRoot();
    error AlreadyAnchored(uint256 batchId, bytes32 root);

    constructor() {
        owner = msg.sender;
    }

    /// Records `root` for `batchId`. Reverts for anyone but the owner, for the zero root (which
    /// rootOf uses for "not anchored"), and for a batch that already has a root: an anchor is
    /// never overwritten, so a retried or duplicated transaction can never change history.
    function anchor(uint256 batchId, bytes32 root) external {
        if (msg.sender != owner) revert NotOwner();
        if (root == bytes32(0)) revert EmptyRoot();
        bytes32 existing = roots[batchId];
        if (existing != bytes32(0)) revert AlreadyAnchored(batchId, existing);
        roots[batchId] = root;
        emit Anchored(batchId, root);
    }

    /// The root anchored for `batchId`, or zero if none.
    function rootOf(uint256 batchId) external view returns (bytes32) {
        return roots[batchId];
    }
}
