// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

interface IERC20 {
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title RenderTrust credit deposits
/// @notice Buys credits with tokens: `deposit(reference, amount)` (the parameter is named
/// `depositReference`, since `reference` is a reserved word of Solidity) pulls `amount` of the token
/// from the caller (approve it first) and emits `Deposit(reference, from, amount)`. The control
/// plane credits the user whose deposit reference is `reference` (GET /api/v1/credits/deposit-info)
/// once the log is confirmed. The tokens go straight to the platform's treasury account (the key
/// operator payouts are sent from), so this contract never holds any.
contract Deposits {
    /// The ERC-20 token accepted.
    address public immutable token;
    /// Where deposited tokens go.
    address public immutable treasury;

    event Deposit(bytes32 indexed depositReference, address indexed from, uint256 amount);

    error ZeroAmount();
    error TransferFailed();
    error ZeroAddress();

    constructor(address token_, address treasury_) {
        if (token_ == address(0) || treasury_ == address(0)) revert ZeroAddress();
        token = token_;
        treasury = treasury_;
    }

    function deposit(bytes32 depositReference, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        // A token that returns false instead of reverting is refused as well.
        if (!IERC20(token).transferFrom(msg.sender, treasury, amount)) revert TransferFailed();
        emit Deposit(depositReference, msg.sender, amount);
    }
}
